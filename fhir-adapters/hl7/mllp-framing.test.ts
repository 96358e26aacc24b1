import { describe, expect, it } from 'vitest';
import { encodeMllpFrame, MllpFrameDecoder, MllpFrameTooLarge } from './mllp-framing.js';

const frame = (s: string) => encodeMllpFrame(Buffer.from(s));
const texts = (frames: Buffer[]) => frames.map((f) => f.toString());

describe('MLLP frame decoder', () => {
  it('returns every frame of one read, in order', () => {
    const d = new MllpFrameDecoder(1000);
    expect(texts(d.push(Buffer.concat([frame('one'), frame('two'), frame('three')])))).toEqual(['one', 'two', 'three']);
  });

  it('reassembles frames split anywhere, including between FS and CR', () => {
    const bytes = Buffer.concat([frame('first message'), frame('second')]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new MllpFrameDecoder(1000);
      expect(texts([...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]), `cut at ${cut}`).toEqual(['first message', 'second']);
    }
  });

  it('skips bytes outside frames and restarts on a new start block', () => {
    const d = new MllpFrameDecoder(1000);
    const abandoned = Buffer.concat([Buffer.from('\r\nnoise'), Buffer.from([0x0b]), Buffer.from('half'), frame('whole')]);
    expect(texts(d.push(abandoned))).toEqual(['whole']);
  });

  it('keeps a lone FS inside the payload', () => {
    const d = new MllpFrameDecoder(1000);
    expect(texts(d.push(frame('a\x1cb')))).toEqual(['a\x1cb']);
  });

  it('refuses frames over the limit, complete or not', () => {
    expect(() => new MllpFrameDecoder(4).push(frame('12345'))).toThrow(MllpFrameTooLarge);
    const d = new MllpFrameDecoder(4);
    expect(() => d.push(Buffer.from('\x0b123456'))).toThrow(MllpFrameTooLarge);
    expect(texts(new MllpFrameDecoder(4).push(frame('1234')))).toEqual(['1234']);
  });
});
