// MLLP framing (HL7 v2 Transport Specification, MLLP release 2): <VT> payload <FS><CR>.
// A TCP read can hold part of a frame, several frames, or the end of one and the start of the
// next; this decoder returns every complete frame in order and keeps the rest. (@medplum/hl7
// 4.5.2's Hl7Connection only looks for <FS><CR> at the end of a read, so two pipelined
// messages arriving in one read are parsed as one and the second is never acknowledged.)

import { CR, FS, VT } from '@medplum/hl7';

const END = Buffer.from([FS, CR]);

export class MllpFrameTooLarge extends Error {
  override readonly name = 'MllpFrameTooLarge';
  constructor(readonly limit: number) {
    super(`MLLP frame exceeds ${limit} bytes`);
  }
}

export class MllpFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Where the search for <FS><CR> resumes, so a large frame arriving in many reads is scanned
   * once rather than once per read. */
  private scanFrom = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds one read; returns the payloads (without framing bytes) it completed. */
  push(chunk: Buffer): Buffer[] {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const start = buffer.indexOf(VT);
      if (start === -1) {
        // Bytes outside a frame (keep-alive noise, a sender's stray CR/LF) carry no message.
        buffer = Buffer.alloc(0);
        this.scanFrom = 0;
        break;
      }
      if (start > 0) {
        buffer = buffer.subarray(start);
        this.scanFrom = Math.max(0, this.scanFrom - start);
      }
      const end = buffer.indexOf(END, Math.max(1, this.scanFrom));
      // A second <VT> before the end means the sender abandoned the first frame and started over.
      const restart = buffer.indexOf(VT, Math.max(1, this.scanFrom));
      if (restart !== -1 && (end === -1 || restart < end)) {
        buffer = buffer.subarray(restart);
        this.scanFrom = 0;
        continue;
      }
      if (end === -1) {
        if (buffer.length - 1 > this.maxFrameBytes) throw new MllpFrameTooLarge(this.maxFrameBytes);
        // <FS> may be the last byte with its <CR> still in flight.
        this.scanFrom = Math.max(1, buffer.length - 1);
        break;
      }
      if (end - 1 > this.maxFrameBytes) throw new MllpFrameTooLarge(this.maxFrameBytes);
      frames.push(Buffer.from(buffer.subarray(1, end)));
      buffer = buffer.subarray(end + END.length);
      this.scanFrom = 0;
    }
    this.pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
    return frames;
  }
}

export function encodeMllpFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(payload.length + 3);
  frame[0] = VT;
  payload.copy(frame, 1);
  frame[payload.length + 1] = FS;
  frame[payload.length + 2] = CR;
  return frame;
}
