// One writer process per data directory. The node and the offline CLI commands that write to its
// database (`careledger sync`) each hold `<DATA_DIR>/node.pid` while they run, so neither starts
// while the other writes: two ResourceStores over one file would race on version numbers, and
// the CLI would anchor nothing while a running node's batcher took its rows mid-import. A file
// whose process is gone (kill -9, power loss) is taken over. Taking the directory also makes it
// owner-only (0700): it holds the database, the keys, export files and dev tokens.

import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'node.pid';

export class DataDirInUse extends Error {
  override name = 'DataDirInUse';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(`${dataDir} is in use by ${holder} (pid ${pid}); stop it first, or delete ${join(dataDir, LOCK_FILE)} if that process is gone`);
  }
}

export interface DataDirLock {
  release(): void;
}

/** The live process other than this one that holds the directory, if any. */
function dataDirHolder(dataDir: string): { pid: number; holder: string } | null {
  const path = join(dataDir, LOCK_FILE);
  if (!existsSync(path)) return null;
  const [pidText, holder = 'a careledger process'] = readFileSync(path, 'utf8').split('\n');
  const pid = Number(pidText);
  // Our own pid is not a conflict: in-process restarts, and pid 1 in a restarted container.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return null;
  return { pid, holder };
}

/** Takes the directory for this process, or throws DataDirInUse. */
export function lockDataDir(dataDir: string, holder: string): DataDirLock {
  const current = dataDirHolder(dataDir);
  if (current) throw new DataDirInUse(dataDir, current.pid, current.holder);
  chmodSync(dataDir, 0o700);
  const path = join(dataDir, LOCK_FILE);
  writeFileSync(path, `${process.pid}\n${holder}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return {
    release() {
      // Only our own claim: a process that took over a stale file must keep it.
      if (existsSync(path) && Number(readFileSync(path, 'utf8').split('\n')[0]) === process.pid) rmSync(path, { force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
