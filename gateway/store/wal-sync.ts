// Makes group commits durable without blocking the event loop. The write queue commits with
// synchronous=NORMAL (SQLite writes the WAL frames but does not fsync them) and then asks this
// class for an fsync of the WAL file, which runs on libuv's thread pool while the event loop
// goes on validating and sealing the next requests. Callers hear "committed" only after that
// fsync, so acknowledged data survives a power cut exactly as with synchronous=FULL.
//
// Every other writer of the database keeps synchronous=FULL, and a FULL commit syncs the whole
// WAL file, so whatever those writers read and act on (the batcher closing a batch that the
// anchorer then sends) is durable before they act.
//
// The WAL file keeps its inode while the connection is open (SQLite restarts it in place after
// a checkpoint and deletes it only on close), so one descriptor opened on first use serves for
// the life of the connection; it is never closed early, because closing any descriptor of a
// file drops the process's POSIX locks on it.

import { fstatSync, fsync, openSync, closeSync, statSync } from 'node:fs';
import type { Db } from './database.js';

export class WalSync {
  private fd: number | undefined;
  private inFlight = false;
  private waiting: Array<(error: Error | null) => void> = [];
  private readonly walPath: string | undefined;

  constructor(
    db: Db,
    private readonly fsyncFile: (fd: number, done: (error: Error | null) => void) => void = fsync,
  ) {
    this.walPath = db.memory ? undefined : `${db.name}-wal`;
  }

  /** Resolves once everything committed before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.walPath === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push((error) => (error ? reject(error) : resolve()));
      if (!this.inFlight) this.start();
    });
  }

  /** Closes the descriptor; call after the database connection is closed. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): void {
    const settled = this.waiting;
    this.waiting = [];
    this.inFlight = true;
    let fd: number;
    try {
      fd = this.descriptor();
    } catch (error) {
      this.finish(settled, error as Error);
      return;
    }
    this.fsyncFile(fd, (error) => this.finish(settled, error));
  }

  private finish(settled: Array<(error: Error | null) => void>, error: Error | null): void {
    this.inFlight = false;
    for (const settle of settled) settle(error);
    if (this.waiting.length > 0) this.start();
  }

  private descriptor(): number {
    // Reopen if SQLite replaced the file (it only does so when the connection closes, but a
    // descriptor of a deleted file would fsync nothing that matters).
    if (this.fd !== undefined && fstatSync(this.fd).ino !== statSync(this.walPath!).ino) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.fd ??= openSync(this.walPath!, 'r');
    return this.fd;
  }
}
