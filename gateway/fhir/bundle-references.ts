// Transaction reference resolution: entries may point at each other by their temporary fullUrl
// (urn:uuid:...). Once every such entry has a server id, each exact reference is rewritten in
// place (the resources are the request's own parsed objects), and narrative links too, as the
// transaction rules ask.

export function rewriteReferences(node: unknown, targets: ReadonlyMap<string, string>): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (typeof item === 'string') {
        const target = targets.get(item);
        if (target !== undefined) node[i] = target;
      } else if (typeof item === 'object' && item !== null) {
        rewriteReferences(item, targets);
      }
    }
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (typeof value === 'string') {
      const target = targets.get(value);
      if (target !== undefined) record[key] = target;
      else if (key === 'div') record[key] = rewriteNarrative(value, targets);
    } else if (typeof value === 'object' && value !== null) {
      rewriteReferences(value, targets);
    }
  }
}

function rewriteNarrative(div: string, targets: ReadonlyMap<string, string>): string {
  if (!div.includes('urn:uuid:')) return div;
  return div.replace(/urn:uuid:[0-9a-fA-F-]{36}/g, (urn) => targets.get(urn) ?? urn);
}
