// The trust file comes from the user (dropped or chosen), never from the node: it is what makes the
// browser's verdict independent of the node that served the page.
import { useState } from 'preact/hooks';

export function TrustFileDrop({ onLoaded, loaded }: { onLoaded: (text: string) => void; loaded: boolean }) {
  const [name, setName] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const take = async (file: File | undefined) => {
    if (!file) return;
    setName(file.name);
    onLoaded(await file.text());
  };
  return (
    <div
      class={`drop ${over ? 'over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        void take(e.dataTransfer?.files[0]);
      }}
    >
      <label for="trust-file">Consortium trust file (drop it here or choose it)</label>
      <input id="trust-file" type="file" accept="application/json,.json" onChange={(e) => void take((e.target as HTMLInputElement).files?.[0])} />
      {loaded && name && <p class="note">Loaded {name}.</p>}
    </div>
  );
}
