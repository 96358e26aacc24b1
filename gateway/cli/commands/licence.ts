// careledger licence issue|list|revoke|verify: a LICENSING member's practitioner licences. Issue
// signs a W3C credential with the member key (of $DATA_DIR, or --key-file) and records its hash in
// LicenceRegistry; revoke withdraws it there. List and verify only read the chain, so anyone (a
// host, a payer) can run them without a key.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet, id } from 'ethers';
import { loadNodeKeys } from '../../keys/node-keys.js';
import { openLedgerClient } from '../../ledger/factory.js';
import { LicenceRejectedError } from '../../ledger/licence-errors.js';
import { MemberRole, type Hex, type LedgerClient, type LicencePort, type LicenceRecord, type MemberPort } from '../../ledger/ports.js';
import { LicenceCheck } from '../../telehealth/licence-check.js';
import {
  LicenceCredentialError,
  SPECIALTY_SYSTEMS,
  isoSeconds,
  issueLicenceCredential,
  licenceNumberHash,
  verifyLicenceCredential,
  type Coding,
  type LicenceDomain,
} from '../../telehealth/licence-credential.js';
import { chainTarget } from '../chain-target.js';

const HELP = `usage: careledger licence <issue|list|revoke|verify> [options]

  licence issue --subject ADDR --jurisdiction US-MA --degree MD --specialty 'nucc|207RC0000X' [--specialty ...]
                --number LICENCE-NO [--valid-from DATE] --valid-until DATE [--out FILE]
      signs a practitioner licence credential (LICENSING member) and records its hash on chain.
      --subject is the practitioner's key (address); --specialty is SYSTEM|CODE, SYSTEM being
      nucc, snomed or the system URL; --valid-from defaults to now. The licence number is put in
      the credential only as a salted hash: hand the printed salt to the practitioner with it.
      Without --out the credential is printed as JSON.
  licence list [--subject ADDR] [--issuer ORG_ID]
      the licences LicenceRegistry holds (of one practitioner, or issued by one member)
  licence revoke HASH|FILE
      revokes a credential (a signer of the member that issued it)
  licence verify FILE [--at DATE] [--subject ADDR]
      checks a credential: signature, issuer's LICENSING membership, registration, revocation and
      validity at DATE (default now); --subject requires it to name that key

DATE is YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with a time zone.
common options:
  --consortium FILE  consortium.json of a local consortium (default: CHAIN_RPC_URL/CHAIN_CONTRACTS,
                     then $DATA_DIR/dev.json, then $DATA_DIR/../consortium.json)
  --key-file FILE    a file holding the signer's private key (0x + 64 hex); default: the member key
                     of $DATA_DIR/keys (or CARELEDGER_MEMBER_KEY)
  --json             machine-readable output
Exit 0: done, or the credential is valid. Exit 1: refused by the chain, or not valid.
Exit 2: usage or configuration error.`;

class UsageError extends Error {}

interface Context {
  ledger: LedgerClient;
  licences: LicencePort;
  members: MemberPort;
  domain: LicenceDomain;
  json: boolean;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        subject: { type: 'string' },
        jurisdiction: { type: 'string' },
        degree: { type: 'string' },
        specialty: { type: 'string', multiple: true },
        number: { type: 'string' },
        'valid-from': { type: 'string' },
        'valid-until': { type: 'string' },
        out: { type: 'string' },
        issuer: { type: 'string' },
        at: { type: 'string' },
        consortium: { type: 'string' },
        'key-file': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [sub, ...args] = positionals;
  if (values.help || !sub || !['issue', 'list', 'revoke', 'verify'].includes(sub)) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  let ledger: LedgerClient | undefined;
  try {
    const target = chainTarget({ consortium: values.consortium });
    const registry = target.contracts.LicenceRegistry;
    if (!registry) throw new Error(`the chain at ${target.rpcUrl} names no LicenceRegistry: restart the consortium so network/deploy.ts adds it`);
    // Only issue and revoke sign: list and verify need no key.
    const key = sub === 'issue' || sub === 'revoke' ? signerKey(values['key-file']) : null;
    ledger = await openLedgerClient(target, { pollingIntervalMs: 250, ...(key ? { privateKey: key } : {}) });
    if (!ledger.licences || !ledger.members) throw new Error(`the chain description of ${target.rpcUrl} lacks LicenceRegistry or ConsortiumRegistry`);
    const context: Context = {
      ledger,
      licences: ledger.licences,
      members: ledger.members,
      domain: { chainId: target.chainId, verifyingContract: registry.toLowerCase() as Hex },
      json: values.json,
    };
    if (sub === 'issue') return await issue(context, values, key!);
    if (sub === 'list') return await list(context, values);
    if (args.length !== 1) throw new UsageError(`licence ${sub} takes one ${sub === 'revoke' ? 'HASH or FILE' : 'FILE'}`);
    if (sub === 'revoke') return await revoke(context, args[0]!);
    return await verify(context, args[0]!, values);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    if (error instanceof LicenceRejectedError) {
      console.error(`careledger licence: ${refusalText(error)}`);
      return 1;
    }
    if (error instanceof LicenceCredentialError) {
      console.error(`careledger licence: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    await ledger?.close();
  }
}

type Options = Record<string, string | string[] | boolean | undefined>;

async function issue(context: Context, values: Options, key: string): Promise<number> {
  const subject = address(required(values, 'subject'), '--subject');
  const specialties = ((values.specialty as string[] | undefined) ?? []).map(specialty);
  if (specialties.length === 0) throw new UsageError('--specialty SYSTEM|CODE is required (repeat it for several)');
  const signer = new Wallet(key).address.toLowerCase() as Hex;
  const member = await context.members.getMember(signer);
  if (!member || !member.active || (member.roles & MemberRole.LICENSING) === 0) {
    console.error(`careledger licence: ${signer} is not a signer of an active LICENSING member: run this where a licensing member's keys are, or pass its --key-file`);
    return 1;
  }
  const validFrom = values['valid-from'] ? seconds(values['valid-from'] as string, '--valid-from') : Math.floor(Date.now() / 1000);
  const validUntil = seconds(required(values, 'valid-until'), '--valid-until');
  const number = licenceNumberHash(required(values, 'number'));
  const credential = issueLicenceCredential(key, member.orgId, context.domain, {
    subject,
    jurisdiction: required(values, 'jurisdiction'),
    degree: required(values, 'degree'),
    specialties,
    licenseNumberHash: number.hash,
    validFrom,
    validUntil,
  });
  const { credentialHash } = verifyLicenceCredential(credential, context.domain);
  const issued = await context.licences.issue(credentialHash, subject, validFrom, validUntil);
  const out = values.out as string | undefined;
  if (out) writeFileSync(out, `${JSON.stringify(credential, null, 2)}\n`);
  const summary = { credentialHash, subject, issuer: member.orgId, validFrom: credential.validFrom, validUntil: credential.validUntil, licenseNumberSalt: number.salt, txHash: issued.txHash, blockNumber: issued.blockNumber };
  if (context.json || !out) {
    console.log(JSON.stringify(out ? { ...summary, file: out } : { ...summary, credential }, null, 2));
  } else {
    console.log(`licence ${credentialHash} issued by ${member.orgId} to ${subject}, valid ${credential.validFrom} .. ${credential.validUntil} (tx ${issued.txHash})`);
    console.log(`credential written to ${out}`);
    console.log(`licence number salt ${number.salt}: give it to the practitioner with the credential (it is not in it)`);
  }
  return 0;
}

async function list(context: Context, values: Options): Promise<number> {
  const records = values.subject
    ? await context.licences.licencesOf(address(values.subject as string, '--subject'))
    : await everyLicence(context.licences);
  const issuer = values.issuer ? (id(values.issuer as string).toLowerCase() as Hex) : null;
  const shown = records.filter((record) => !issuer || record.issuerMember === issuer);
  const names = new Map<Hex, string>();
  for (const member of await context.members.listMembers()) names.set(member.memberId, member.orgId);
  const now = await context.ledger.latestBlockTime();
  const rows = shown.map((record) => ({ ...record, issuer: names.get(record.issuerMember) ?? record.issuerMember, status: status(record, now) }));
  if (context.json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) console.log('no licences');
  for (const row of rows) {
    console.log(`${row.credentialHash}  ${row.subject}  ${row.issuer.padEnd(16)}  ${isoSeconds(row.validFrom)} .. ${isoSeconds(row.validUntil)}  ${row.status}`);
  }
  return 0;
}

async function revoke(context: Context, target: string): Promise<number> {
  const hash = /^0x[0-9a-fA-F]{64}$/.test(target)
    ? (target.toLowerCase() as Hex)
    : verifyLicenceCredential(readJson(target), context.domain).credentialHash;
  const record = await context.licences.getLicence(hash);
  if (!record) {
    console.error(`careledger licence: LicenceRegistry holds no credential ${hash}: check the hash (careledger licence list)`);
    return 1;
  }
  const tx = await context.licences.revoke(hash);
  if (context.json) console.log(JSON.stringify({ credentialHash: hash, subject: record.subject, revokedAt: tx.blockTime, txHash: tx.txHash }, null, 2));
  else console.log(`licence ${hash} of ${record.subject} revoked at ${isoSeconds(tx.blockTime)} (tx ${tx.txHash})`);
  return 0;
}

async function verify(context: Context, file: string, values: Options): Promise<number> {
  const credential = readJson(file);
  const subject = values.subject
    ? address(values.subject as string, '--subject')
    : verifyLicenceCredential(credential, context.domain).terms.subject;
  const at = values.at ? seconds(values.at as string, '--at') : await context.ledger.latestBlockTime();
  const check = new LicenceCheck(context.licences, context.members, context.domain.chainId);
  const verdict = await check.check(subject, new Date(at * 1000), credential);
  if (context.json) {
    console.log(JSON.stringify({ subject, at: isoSeconds(at), ...verdict }, null, 2));
  } else if (verdict.ok) {
    const issuer = (await context.members.getMemberById(verdict.issuerMember))?.orgId ?? verdict.issuerMember;
    console.log(`valid at ${isoSeconds(at)}: licence ${verdict.credentialHash} of ${subject} issued by ${issuer}, valid ${isoSeconds(verdict.validFrom)} .. ${isoSeconds(verdict.validUntil)}`);
  } else {
    console.log(`not valid at ${isoSeconds(at)} (${verdict.refusal}): ${verdict.detail}`);
  }
  return verdict.ok ? 0 : 1;
}

/** Every licence issued on this registry, from its events, with each record's current state. */
async function everyLicence(licences: LicencePort): Promise<LicenceRecord[]> {
  const events = await licences.events(0, await licences.latestBlock());
  const hashes = events.flatMap((event) => (event.kind === 'issued' ? [event.licence.credentialHash] : []));
  const records = await Promise.all(hashes.map((hash) => licences.getLicence(hash)));
  return records.filter((record): record is LicenceRecord => record !== null);
}

function status(record: LicenceRecord, now: number): string {
  if (record.revokedAt !== null) return `revoked ${isoSeconds(record.revokedAt)}`;
  if (now < record.validFrom) return 'not yet valid';
  if (now >= record.validUntil) return 'expired';
  return 'valid';
}

function refusalText(error: LicenceRejectedError): string {
  const hints: Record<string, string> = {
    NotLicensingMember: 'the key is not a signer of an active LICENSING member',
    NotIssuer: 'only a signer of the member that issued the licence may revoke it',
    AlreadyRevoked: 'the licence is already revoked',
    AlreadyIssued: 'this credential is already registered',
    InvalidPeriod: 'the validity window is empty or already over: pass a later --valid-until',
    UnknownCredential: 'LicenceRegistry holds no such credential: check the hash (careledger licence list)',
  };
  return `${hints[error.reason] ?? 'the licence registry refused'} (${error.reason}(${error.args.map(String).join(', ')}))`;
}

function signerKey(keyFile: string | undefined): string {
  if (keyFile) {
    if (!existsSync(keyFile)) throw new UsageError(`--key-file ${keyFile} does not exist`);
    const key = readFileSync(keyFile, 'utf8').trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError(`--key-file ${keyFile} must hold one private key: 0x and 64 hex digits`);
    return key;
  }
  // Only the member key signs here; the vault's master key is not needed when the key comes from the environment.
  if (process.env.CARELEDGER_MEMBER_KEY) return process.env.CARELEDGER_MEMBER_KEY;
  return loadNodeKeys({
    dataDir: resolve(process.env.DATA_DIR ?? './data'),
    keystorePassword: process.env.CARELEDGER_KEYSTORE_PASSWORD,
    masterKeyHex: process.env.CARELEDGER_MASTER_KEY,
    allowGenerate: false,
  }).memberWallet.privateKey;
}

function required(values: Options, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function address(value: string, flag: string): Hex {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new UsageError(`${flag} ${value} is not an address (0x and 40 hex digits)`);
  return value.toLowerCase() as Hex;
}

function specialty(value: string): Coding {
  const bar = value.lastIndexOf('|');
  if (bar <= 0) throw new UsageError(`--specialty ${value} is not SYSTEM|CODE (e.g. 'nucc|207RC0000X' or 'snomed|394579002')`);
  const system = value.slice(0, bar);
  return { system: SPECIALTY_SYSTEMS[system as keyof typeof SPECIALTY_SYSTEMS] ?? system, code: value.slice(bar + 1) };
}

/** YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with a zone, as whole seconds. */
function seconds(value: string, flag: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`${flag} ${value} is not YYYY-MM-DD or an ISO 8601 date-time with a time zone`);
  return Math.floor(ms / 1000);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read a credential from ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function usage(message: string): number {
  console.error(`careledger licence: ${message}\nRun "careledger licence --help" for the options.`);
  return 2;
}
