// MSH-18 (character set, HL7 table 0211) -> how the payload bytes are decoded and the ACK is
// encoded. The header is ASCII in every supported charset, so MSH-18 is read from a latin1 view
// before the message is decoded for real. Decoding is strict: bytes that are not valid in the
// declared (or default) charset reject the message instead of storing mojibake.

const SINGLE_BYTE: Record<string, string> = {
  ASCII: 'ascii',
  '8859/1': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
};

const SUPPORTED_CHARSETS = ['UNICODE UTF-8', ...Object.keys(SINGLE_BYTE)] as const;

export class UnsupportedCharset extends Error {
  override readonly name = 'UnsupportedCharset';
}

export interface DecodedPayload {
  text: string;
  /** The MSH-18 value in force (declared, or the default), echoed in the ACK's MSH-18. */
  charset: string;
}

function declaredCharset(latin1: string): string {
  if (!latin1.startsWith('MSH') || latin1.length < 8) return '';
  const header = latin1.slice(0, latin1.search(/[\r\n]|$/));
  const fields = header.split(header[3]);
  // fields[0] is "MSH" and fields[1] MSH-2, so MSH-n is fields[n - 1].
  return (fields[17] ?? '').split(header[5])[0].trim().toUpperCase();
}

function decoderFor(charset: string): (bytes: Buffer) => string {
  if (charset === 'UNICODE UTF-8') {
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    return (bytes) => {
      try {
        return utf8.decode(bytes);
      } catch {
        throw new UnsupportedCharset('message bytes are not valid UTF-8 (declare the character set in MSH-18)');
      }
    };
  }
  const label = SINGLE_BYTE[charset];
  if (!label) throw new UnsupportedCharset(`MSH-18 character set '${charset}' is not supported (${SUPPORTED_CHARSETS.join(', ')} are)`);
  if (label === 'ascii' || label === 'iso-8859-1') return (bytes) => bytes.toString('latin1');
  const decoder = new TextDecoder(label);
  return (bytes) => decoder.decode(bytes);
}

/** `defaultCharset` is a table 0211 value, used when MSH-18 is empty. */
export function decodePayload(bytes: Buffer, defaultCharset: string): DecodedPayload {
  const charset = declaredCharset(bytes.toString('latin1')) || defaultCharset.toUpperCase();
  return { text: decoderFor(charset)(bytes), charset };
}

/** The ACK in the message's charset. An ACK is ASCII apart from echoed error text, which
 * single-byte charsets other than UTF-8 get with non-ASCII characters replaced by '?'. */
export function encodePayload(text: string, charset: string): Buffer {
  if (charset === 'UNICODE UTF-8') return Buffer.from(text, 'utf8');
  return Buffer.from(text.replace(/[^\x00-\x7F]/g, '?'), 'latin1');
}

/** Throws UnsupportedCharset for a default the listener could never decode with. */
export function assertSupportedCharset(charset: string): void {
  decoderFor(charset.toUpperCase());
}
