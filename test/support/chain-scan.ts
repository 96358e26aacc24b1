// Reads everything a chain holds that a transaction can put there (every transaction's input,
// every log's topics and data, from block 0) and looks for sensitive strings in it: as UTF-8
// bytes and, for UUID-like ids, as their raw hex.

import { JsonRpcProvider } from 'ethers';

export interface ChainContent {
  transactions: number;
  logs: number;
  /** Lower-case hex of every input, topic and data, without 0x. */
  parts: string[];
}

export async function readChainContent(rpcUrl: string): Promise<ChainContent> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  try {
    const latest = await provider.getBlockNumber();
    const parts: string[] = [];
    let transactions = 0;
    for (let number = 0; number <= latest; number++) {
      const block = (await provider.send('eth_getBlockByNumber', [`0x${number.toString(16)}`, true])) as {
        transactions: Array<{ input: string }>;
      };
      for (const tx of block.transactions) {
        transactions++;
        parts.push(tx.input.slice(2).toLowerCase());
      }
    }
    const logs = (await provider.send('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])) as Array<{ topics: string[]; data: string }>;
    for (const log of logs) {
      for (const topic of log.topics) parts.push(topic.slice(2).toLowerCase());
      parts.push(log.data.slice(2).toLowerCase());
    }
    return { transactions, logs: logs.length, parts };
  } finally {
    provider.destroy();
  }
}

/** The needles found in the chain's content (byte-aligned matches only). */
export function findOnChain(content: ChainContent, needles: Iterable<string>): string[] {
  const found: string[] = [];
  for (const needle of needles) {
    const forms = [Buffer.from(needle, 'utf8').toString('hex')];
    const compact = needle.replace(/-/g, '');
    if (/^[0-9a-fA-F]{16,}$/.test(compact)) forms.push(compact.toLowerCase());
    if (forms.some((form) => content.parts.some((part) => alignedIncludes(part, form)))) found.push(needle);
  }
  return found;
}

function alignedIncludes(haystack: string, needle: string): boolean {
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (at % 2 === 0) return true;
  }
  return false;
}
