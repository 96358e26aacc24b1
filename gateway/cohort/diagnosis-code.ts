import { createHash } from 'node:crypto';

/**
 * Field element of a coded diagnosis: the first 31 bytes of SHA-256("system|code").
 * 248 bits keep it below the BN254 modulus, make collisions between real codes negligible,
 * and keep it far from the fillers 0 (empty record slot) and 1 (unused criteria entry).
 */
export function diagnosisCodeElement(system: string, code: string): bigint {
  const digest = createHash('sha256').update(`${system}|${code}`, 'utf8').digest('hex');
  return BigInt(`0x${digest.slice(0, 62)}`);
}
