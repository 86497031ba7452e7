// The Body mixin shared by Request and Response: what a body can be made of, and reading it exactly once.
import { Blob, blobBytes, blobOf, concat } from './blob.js';
import { TextDecoder, TextEncoder } from './encoding.js';
import { FormData } from './form-data.js';
import type { Headers } from './headers.js';
import { encodeMultipart, parseFormBody } from './multipart.js';
import { ReadableStream } from './streams.js';
import { URLSearchParams } from './url.js';

/** A body as the host can take it: whole bytes when they are known, else the stream. */
export type BodyContent = Uint8Array | ReadableStream<Uint8Array> | null;

export interface ExtractedBody {
  content: BodyContent;
  contentType: string | null;
}

const encoder = new TextEncoder();

/** The spec's "extract a body": copies buffers, so later changes by the app do not show through. */
export function extractBody(init: unknown): ExtractedBody {
  if (init === null || init === undefined) return { content: null, contentType: null };
  if (init instanceof ReadableStream) return { content: init, contentType: null };
  if (init instanceof ArrayBuffer) return { content: new Uint8Array(init.slice(0)), contentType: null };
  if (ArrayBuffer.isView(init)) {
    return { content: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), contentType: null };
  }
  if (init instanceof URLSearchParams) {
    return { content: encoder.encode(init.toString()), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  // A copy: whoever reads the body stream may write to its chunks, and the Blob must not change.
  if (init instanceof Blob) return { content: blobBytes(init).slice(), contentType: init.type || null };
  if (init instanceof FormData) {
    const { bytes, contentType } = encodeMultipart(init);
    return { content: bytes, contentType };
  }
  return { content: encoder.encode(String(init)), contentType: 'text/plain;charset=UTF-8' };
}

/** A Content-Type as a Blob type: the standard's parsed and serialized MIME type (no spaces), or '' when it is not one. */
function mimeType(header: string | null): string {
  if (!header || !/^[\x20-\x7e]*$/.test(header)) return '';
  const [essence, ...params] = header.split(';').map((part) => part.trim());
  if (!/^[^\s/]+\/[^\s/]+$/.test(essence!)) return '';
  const kept = params.filter((param) => /^[^\s=]+=\S/.test(param)).map((param) => {
    const equals = param.indexOf('=');
    return `${param.slice(0, equals).toLowerCase()}=${param.slice(equals + 1)}`;
  });
  return [essence!, ...kept].join(';').toLowerCase();
}

/** A chunk a body stream yielded, as bytes; anything else is the app's mistake. */
export function chunkBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError('a body stream must yield Uint8Array chunks');
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length) controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(chunks);
    chunks.push(chunkBytes(value));
  }
}

/** Module-private access to a body's content, for Request/Response construction and for dispatch. */
export let takeContent: (body: Body) => BodyContent;
export let setContent: (body: Body, content: BodyContent) => void;

export abstract class Body {
  #bytes: Uint8Array | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #used = false;

  static {
    takeContent = (body) => {
      if (body.bodyUsed) throw new TypeError('the body has already been used');
      body.#used = body.#bytes !== null || body.#stream !== null;
      const content = body.#bytes ?? body.#stream;
      body.#bytes = null;
      return content;
    };
    setContent = (body, content) => {
      if (content instanceof Uint8Array) body.#bytes = content;
      else body.#stream = content;
    };
  }

  abstract get headers(): Headers;

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#bytes && !this.#stream) {
      this.#stream = streamOf(this.#bytes);
      this.#bytes = null;
    }
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#used || Boolean(this.#stream?.locked);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#consume();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.#consume());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async blob(): Promise<Blob> {
    return blobOf(await this.#consume(), mimeType(this.headers.get('content-type')));
  }

  async formData(): Promise<FormData> {
    const type = this.headers.get('content-type');
    return parseFormBody(await this.#consume(), type);
  }

  /** The content for a clone: bytes are copied (the app may write to the chunks a body stream gives it), a stream is teed. */
  protected cloneContent(): BodyContent {
    if (this.bodyUsed) throw new TypeError('clone: the body has already been used');
    if (this.#bytes) return this.#bytes.slice();
    if (!this.#stream) return null;
    const [mine, theirs] = this.#stream.tee();
    this.#stream = mine;
    return theirs;
  }

  async #consume(): Promise<Uint8Array> {
    const content = takeContent(this);
    if (content === null) return new Uint8Array(0);
    return content instanceof Uint8Array ? content : readAll(content);
  }
}
