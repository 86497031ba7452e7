// Host bodies the guest pulls chunk by chunk, by id: request bodies (within the size limit) and fetch() responses.
import { ErrorCode, HangarError } from '../../core/errors.js';

interface OpenBody {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Bytes past which reading fails (request bodies); Infinity for fetch() responses. */
  limitBytes: number;
  bytes: number;
  done: boolean;
  tooLarge: boolean;
  /** Requests that hold it; it is released when the last one ends. */
  holders: number;
}

/**
 * A chunk the guest may own: one that fills its whole buffer crosses by transfer (the executor is the stream's only
 * reader, so nobody else sees it); a view into a larger buffer (Node's pooled slabs) is copied out first.
 */
function owned(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) throw new TypeError('a body stream gave a chunk that is not bytes');
  // A source that enqueues one array twice hands over a buffer the first read already moved into the isolate.
  if (chunk.byteLength === 0 && detached(chunk.buffer)) {
    throw new TypeError('a body stream gave a chunk whose bytes were already handed to the app: enqueue a new Uint8Array for each chunk');
  }
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer) ? chunk : chunk.slice();
}

/** Node 20 has no ArrayBuffer.prototype.detached; slicing a detached buffer throws. */
function detached(buffer: ArrayBufferLike): boolean {
  try {
    buffer.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}

export class HostBodies {
  private readonly open = new Map<number, OpenBody>();
  private nextId = 1;

  constructor(
    private readonly app: string,
    private readonly requestLimitBytes: number,
  ) {}

  /** A request body for the guest to pull, within the body-size limit; its id goes into the RequestHead. */
  registerRequest(body: ReadableStream<Uint8Array>): number {
    return this.register(body, this.requestLimitBytes, 1);
  }

  /** A fetch() response body, held by every request the fetch was counted against. */
  registerResponse(body: ReadableStream<Uint8Array>, holders: number): number {
    return this.register(body, Infinity, holders);
  }

  private register(body: ReadableStream<Uint8Array>, limitBytes: number, holders: number): number {
    const id = this.nextId++;
    this.open.set(id, { reader: body.getReader(), limitBytes, bytes: 0, done: false, tooLarge: false, holders });
    return id;
  }

  /** The error a request whose body passed the limit answers with. */
  limitError(): HangarError {
    return new HangarError(ErrorCode.LIMIT_BODY_SIZE, `the request body is larger than app ${this.app}'s limit of ${this.requestLimitBytes} bytes`, {
      details: { app: this.app, limitBytes: this.requestLimitBytes },
    });
  }

  /** The next chunk, owned by the caller, or null at the end. */
  async read(id: number): Promise<Uint8Array | null> {
    const body = this.open.get(id);
    if (!body) throw new TypeError('this body can no longer be read: bodies are read while the request that received or fetched them is in flight');
    if (body.tooLarge) throw this.limitError();
    if (body.done) return null;
    const { done, value } = await body.reader.read();
    if (done) {
      body.done = true;
      return null;
    }
    const chunk = owned(value);
    body.bytes += chunk.byteLength;
    if (body.bytes > body.limitBytes) {
      body.done = body.tooLarge = true;
      body.reader.cancel().catch(() => undefined);
      throw this.limitError();
    }
    return chunk;
  }

  /** True when the body was cut off at the size limit, so the request answers 413 whatever the app did. */
  exceeded(id: number | null): boolean {
    return id !== null && Boolean(this.open.get(id)?.tooLarge);
  }

  /** One holder is done with a body; the last one cancels it if it was left unread. */
  release(id: number): void {
    const body = this.open.get(id);
    if (!body || --body.holders > 0) return;
    this.open.delete(id);
    if (!body.done) body.reader.cancel().catch(() => undefined);
  }

  /** The guest dropped a body (cancelled its stream): it goes whoever holds it. */
  drop(id: number): void {
    const body = this.open.get(id);
    if (body) body.holders = 1;
    this.release(id);
  }

  releaseAll(): void {
    for (const id of [...this.open.keys()]) this.drop(id);
  }
}
