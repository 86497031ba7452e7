// CompressionStream and DecompressionStream for the guest, run by node:zlib, one zlib stream per guest stream.
import zlib from 'node:zlib';
import type { CodecOutput, CodecStep, CompressionFormat } from './protocol.js';

/** zlib streams hold native memory outside the isolate's heap limit, so an isolate may only have a few open. */
const MAX_OPEN = 16;
/** Output handed back per step; a decompression bomb comes back in slices the guest pulls, never all at once here. */
const MAX_STEP_BYTES = 256 * 1024;

const FORMATS: Record<CompressionFormat, [compress: () => zlib.Gzip | zlib.Deflate | zlib.DeflateRaw, decompress: () => zlib.Gunzip | zlib.Inflate | zlib.InflateRaw]> = {
  gzip: [() => zlib.createGzip(), () => zlib.createGunzip()],
  deflate: [() => zlib.createDeflate(), () => zlib.createInflate()],
  'deflate-raw': [() => zlib.createDeflateRaw(), () => zlib.createInflateRaw()],
};

/** One guest stream's zlib stream, read in paused mode so zlib only runs as far as the guest has taken output. */
class Codec {
  private readonly stream: zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | zlib.Gunzip | zlib.Inflate | zlib.InflateRaw;
  private failure: Error | null = null;
  private ended = false;
  /** Whether the current write (or end) has been taken in whole by zlib. */
  private settled = true;
  private bytesIn = 0;
  private wake: (() => void) | null = null;

  constructor(
    format: CompressionFormat,
    private readonly decompress: boolean,
  ) {
    this.stream = FORMATS[format][decompress ? 1 : 0]();
    const poke = () => this.wake?.();
    this.stream.on('readable', poke);
    this.stream.on('end', () => {
      this.ended = true;
      poke();
    });
    this.stream.on('error', (error: Error) => {
      this.failure = error;
      poke();
    });
    // Closed under a waiting step (the guest dropped the stream, or its isolate went): the step fails, never hangs.
    this.stream.on('close', () => {
      if (!this.ended) this.failure ??= new Error('the stream was closed before its end');
      poke();
    });
  }

  write(chunk: Uint8Array): Promise<CodecOutput> {
    if (!this.settled || this.ended) throw new TypeError('a compression stream got a chunk while it was busy or finished');
    this.settled = false;
    this.bytesIn += chunk.byteLength;
    this.stream.write(chunk, () => {
      this.settled = true;
      this.wake?.();
    });
    return this.collect();
  }

  end(): Promise<CodecOutput> {
    if (!this.settled) throw new TypeError('a compression stream was ended while a chunk was being written');
    this.settled = false;
    this.stream.end();
    return this.collect();
  }

  more(): Promise<CodecOutput> {
    return this.collect();
  }

  /** Ended and all its output taken. */
  get finished(): boolean {
    return this.ended;
  }

  close(): void {
    this.stream.destroy();
  }

  /** Output so far, until the step is taken in whole (and, at the end, flushed) or a slice is full. */
  private async collect(): Promise<CodecOutput> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      if (this.failure) throw new TypeError(`the ${this.decompress ? 'compressed data is not valid' : 'compression failed'}: ${this.failure.message}`);
      let chunk: Buffer | null;
      while ((chunk = this.stream.read() as Buffer | null) !== null) {
        // A copy of its own: zlib's output buffers are views of a larger buffer the guest must not see whole.
        chunks.push(new Uint8Array(chunk));
        size += chunk.byteLength;
        if (size >= MAX_STEP_BYTES) return { chunks, more: true };
      }
      if (this.ended) {
        this.checkTrailing();
        return { chunks, more: false };
      }
      if (this.failure) continue;
      if (this.settled) return { chunks, more: false };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** The standard refuses bytes after the end of the compressed data; zlib would ignore them. */
  private checkTrailing(): void {
    if (this.decompress && this.stream.bytesWritten < this.bytesIn) {
      throw new TypeError('the compressed data is not valid: there are bytes after its end');
    }
  }
}

export class HostCompression {
  private readonly codecs = new Map<number, Codec>();

  /** One step of guest stream `id`, created on its first step; a failed stream is closed. */
  async step(step: CodecStep): Promise<CodecOutput> {
    if (typeof step !== 'object' || step === null || !Number.isSafeInteger(step.id) || !['write', 'end', 'more'].includes(step.op)) {
      throw new TypeError('a compression step needs a stream id and an op of write, end or more');
    }
    try {
      return await this.run(step);
    } catch (error) {
      this.close(step.id);
      throw error;
    }
  }

  close(id: number): void {
    this.codecs.get(id)?.close();
    this.codecs.delete(id);
  }

  dispose(): void {
    for (const id of [...this.codecs.keys()]) this.close(id);
  }

  private async run(step: CodecStep): Promise<CodecOutput> {
    let codec = this.codecs.get(step.id);
    if (step.op === 'more') {
      if (!codec) throw new TypeError('the compression stream is gone');
      const output = await codec.more();
      if (!output.more && codec.finished) this.close(step.id);
      return output;
    }
    if (!codec) {
      if (!Object.hasOwn(FORMATS, step.format)) throw new TypeError(`${JSON.stringify(String(step.format))} is not a compression format`);
      if (this.codecs.size >= MAX_OPEN) throw new TypeError(`an isolate may have at most ${MAX_OPEN} compression streams open at once`);
      codec = new Codec(step.format, Boolean(step.decompress));
      this.codecs.set(step.id, codec);
    }
    if (step.op === 'write') {
      if (!(step.chunk instanceof Uint8Array)) throw new TypeError('a compression stream chunk must be bytes');
      return codec.write(step.chunk);
    }
    const output = await codec.end();
    if (!output.more) this.close(step.id);
    return output;
  }
}
