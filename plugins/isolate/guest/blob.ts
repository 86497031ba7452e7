// Blob and File, per the File API: immutable bytes held in the isolate, read whole or as a stream.
import { TextDecoder, TextEncoder } from './encoding.js';
import { ReadableStream } from './streams.js';

export interface BlobPropertyBag {
  type?: string;
  endings?: 'transparent' | 'native';
}

export interface FilePropertyBag extends BlobPropertyBag {
  lastModified?: number;
}

const encoder = new TextEncoder();
const STREAM_CHUNK = 64 * 1024;

/** Module-private: a blob's bytes, shared with the platform (never handed to the app without a copy). */
export let blobBytes: (blob: Blob) => Uint8Array;
/** Module-private: a Blob over bytes the caller will never change, without another copy. */
export let blobOf: (bytes: Uint8Array, type: string) => Blob;

function normalizeType(type: unknown): string {
  const text = type === undefined ? '' : String(type);
  return /^[\x20-\x7e]*$/.test(text) ? text.toLowerCase() : '';
}

function partBytes(part: unknown, native: boolean): Uint8Array {
  if (part instanceof Blob) return blobBytes(part);
  if (part instanceof ArrayBuffer) return new Uint8Array(part);
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  const text = String(part);
  return encoder.encode(native ? text.replace(/\r\n?/g, '\n') : text);
}

/** The parts' bytes, one after the other, in a buffer of their own. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.byteLength;
  }
  return all;
}

function relative(index: unknown, size: number, fallback: number): number {
  if (index === undefined) return fallback;
  const value = Math.trunc(Number(index)) || 0;
  return value < 0 ? Math.max(size + value, 0) : Math.min(value, size);
}

const CREATE = Symbol('create');

class Blob {
  #bytes: Uint8Array;
  #type: string;

  constructor(parts: unknown = [], options: BlobPropertyBag | null = {}) {
    if ((parts as unknown) === CREATE) {
      // blobOf fills the fields right after.
      this.#bytes = new Uint8Array(0);
      this.#type = '';
      return;
    }
    if (typeof parts !== 'object' || parts === null || typeof (parts as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError('Blob: the parts must be a sequence (an array or other iterable)');
    }
    const endings = options?.endings ?? 'transparent';
    if (endings !== 'transparent' && endings !== 'native') throw new TypeError(`Blob: endings must be "transparent" or "native", not ${JSON.stringify(endings)}`);
    // Copied now: a later change to a buffer the app passed does not show through.
    this.#bytes = concat([...(parts as Iterable<unknown>)].map((part) => partBytes(part, endings === 'native')));
    this.#type = normalizeType(options?.type);
  }

  get size(): number {
    return this.#bytes.byteLength;
  }

  get type(): string {
    return this.#type;
  }

  slice(start?: unknown, end?: unknown, contentType?: unknown): Blob {
    const size = this.#bytes.byteLength;
    const from = relative(start, size, 0);
    const to = Math.max(relative(end, size, size), from);
    // Blobs never change their bytes, so a slice can share them.
    return blobOf(this.#bytes.subarray(from, to), normalizeType(contentType));
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.#bytes);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#bytes.slice().buffer;
  }

  async bytes(): Promise<Uint8Array> {
    return this.#bytes.slice();
  }

  stream(): ReadableStream<Uint8Array> {
    const bytes = this.#bytes;
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(offset, offset + STREAM_CHUNK));
        offset += STREAM_CHUNK;
      },
    });
  }

  get [Symbol.toStringTag](): string {
    return 'Blob';
  }

  static {
    blobBytes = (blob) => blob.#bytes;
    blobOf = (bytes, type) => {
      const blob = new Blob(CREATE);
      blob.#bytes = bytes;
      blob.#type = type;
      return blob;
    };
  }
}

class File extends Blob {
  readonly #name: string;
  readonly #lastModified: number;

  constructor(bits: unknown, name: unknown, options: FilePropertyBag | null = {}) {
    if (arguments.length < 2) throw new TypeError(`File: 2 arguments required, but only ${arguments.length} present`);
    super(bits, options);
    this.#name = String(name);
    const lastModified = options?.lastModified === undefined ? Date.now() : Math.trunc(Number(options.lastModified));
    this.#lastModified = Number.isFinite(lastModified) ? lastModified : 0;
  }

  get name(): string {
    return this.#name;
  }

  get lastModified(): number {
    return this.#lastModified;
  }

  get webkitRelativePath(): string {
    return '';
  }

  override get [Symbol.toStringTag](): string {
    return 'File';
  }
}

export { Blob, File };
