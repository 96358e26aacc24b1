// One progress line on stderr: redrawn in place on a terminal, printed every few seconds
// otherwise (CI logs, pipes), so long imports show they are alive either way.

export class ProgressLine {
  private lastPrint = 0;
  private readonly started = Date.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string) {}

  update(done: number, total: number | undefined, extra = ''): void {
    const now = Date.now();
    if (now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    this.draw(done, total, extra);
  }

  finish(done: number, total: number | undefined, extra = ''): void {
    this.draw(done, total, extra);
    if (this.tty) process.stderr.write('\n');
  }

  private draw(done: number, total: number | undefined, extra: string): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    let bar = '';
    if (total) {
      const width = 30;
      const filled = Math.min(width, Math.round((done / total) * width));
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% `;
    }
    const line = `${this.label} ${bar}${done}${total ? `/${total}` : ''} (${rate}/s) ${extra}`;
    process.stderr.write(this.tty ? `\r${line}\u001b[K` : `${line}\n`);
  }
}
