// Lines of an NDJSON HTTP body as they arrive: the body is decoded and split chunk by chunk, so
// memory holds one network chunk and one partial line, never the file. Every line is numbered
// (blank ones too) so a resumed download can skip exactly the lines already ingested.

export async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let line = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      yield { line: line++, text: pending.slice(0, newline).replace(/\r$/, '') };
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending.length > 0) yield { line: line++, text: pending.replace(/\r$/, '') };
}
