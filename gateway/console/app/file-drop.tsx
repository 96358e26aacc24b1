// A file the user drops or chooses (an evidence bundle, a trust file, a key): read in the browser,
// never uploaded, so what is verified is the user's own copy.
import { useState } from 'preact/hooks';

export interface DroppedFile {
  name: string;
  text: string;
}

export function FileDrop({ id, label, hint, file, onFile }: { id: string; label: string; hint?: string; file: DroppedFile | null; onFile: (file: DroppedFile | null) => void }) {
  const [over, setOver] = useState(false);
  const take = async (chosen: File | undefined) => {
    if (chosen) onFile({ name: chosen.name, text: await chosen.text() });
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
      <label for={id}>{label}</label>
      {hint && (
        <p class="note" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input id={id} type="file" aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => void take((e.target as HTMLInputElement).files?.[0])} />
      {file && (
        <p class="note">
          Loaded {file.name}.{' '}
          <button type="button" class="link" onClick={() => onFile(null)}>
            Remove {file.name}
          </button>
        </p>
      )}
    </div>
  );
}
