// TextEncoder and TextDecoder (UTF-8, per the WHATWG Encoding standard); esbuild injects them into bundled libraries too.

const REPLACEMENT = 0xfffd;

function toBytes(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError('TextDecoder.decode: input must be an ArrayBuffer or an ArrayBufferView');
}

/** The UTF-8 size of a string, a lone surrogate counted as the U+FFFD it is encoded as. */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    length += code < 0x800 ? 1 : 2;
    // A surrogate pair is 4 bytes for its 2 units; the low half adds nothing of its own.
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return length;
}

class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }

  encode(input: unknown = ''): Uint8Array {
    const text = String(input);
    // Sized exactly: whatwg-url encodes every code point of a URL's path and query through here.
    const out = new Uint8Array(utf8Length(text));
    this.encodeInto(text, out);
    return out;
  }

  encodeInto(input: unknown, destination: Uint8Array): { read: number; written: number } {
    const text = String(input);
    let read = 0;
    let written = 0;
    while (read < text.length) {
      let code = text.charCodeAt(read);
      let units = 1;
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = text.charCodeAt(read + 1);
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        } else {
          code = REPLACEMENT;
        }
      }
      const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (written + size > destination.length) break;
      if (size === 1) {
        destination[written++] = code;
      } else {
        const lead = size === 2 ? 0xc0 : size === 3 ? 0xe0 : 0xf0;
        destination[written++] = lead | (code >> (6 * (size - 1)));
        for (let shift = 6 * (size - 2); shift >= 0; shift -= 6) destination[written++] = 0x80 | ((code >> shift) & 0x3f);
      }
      read += units;
    }
    return { read, written };
  }
}

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8']);

class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  // Decoder state between stream: true calls (the spec's "UTF-8 bytes needed/seen" and boundaries).
  #needed = 0;
  #seen = 0;
  #code = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #bomChecked = false;

  constructor(label: unknown = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!UTF8_LABELS.has(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: the encoding ${JSON.stringify(String(label))} is not supported (only utf-8 is)`);
    }
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }

  get encoding(): string {
    return 'utf-8';
  }
  get fatal(): boolean {
    return this.#fatal;
  }
  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: unknown, options: { stream?: boolean } = {}): string {
    const bytes = toBytes(input);
    const codes: number[] = [];
    let out = '';
    const flush = () => {
      out += String.fromCodePoint(...codes);
      codes.length = 0;
    };
    const error = () => {
      if (this.#fatal) {
        this.#reset();
        this.#bomChecked = false;
        throw new TypeError('TextDecoder.decode: the input is not valid UTF-8');
      }
      codes.push(REPLACEMENT);
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.#needed === 0) {
        if (byte <= 0x7f) codes.push(byte);
        else if (byte >= 0xc2 && byte <= 0xdf) (this.#needed = 1), (this.#code = byte & 0x1f);
        else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) this.#lower = 0xa0;
          if (byte === 0xed) this.#upper = 0x9f;
          this.#needed = 2;
          this.#code = byte & 0xf;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) this.#lower = 0x90;
          if (byte === 0xf4) this.#upper = 0x8f;
          this.#needed = 3;
          this.#code = byte & 0x7;
        } else error();
      } else if (byte < this.#lower || byte > this.#upper) {
        this.#reset();
        error();
        i--; // The spec re-processes the offending byte as the start of a new sequence.
      } else {
        this.#lower = 0x80;
        this.#upper = 0xbf;
        this.#code = (this.#code << 6) | (byte & 0x3f);
        if (++this.#seen === this.#needed) {
          codes.push(this.#code);
          this.#needed = this.#seen = this.#code = 0;
        }
      }
      if (codes.length >= 4096) flush();
    }
    if (!options?.stream) {
      if (this.#needed) {
        this.#reset();
        error();
      }
    }
    flush();
    if (!this.#bomChecked && out.length) {
      this.#bomChecked = true;
      if (!this.#ignoreBOM && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
    }
    if (!options?.stream) this.#bomChecked = false;
    return out;
  }

  #reset(): void {
    this.#needed = this.#seen = this.#code = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }
}

export { TextEncoder, TextDecoder };
