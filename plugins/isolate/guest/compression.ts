// CompressionStream and DecompressionStream: TransformStreams whose work is done, chunk by chunk, by the host's zlib.
import type { CodecOutput, CodecStep, CompressionFormat, HostBridge, HostOutcome } from '../protocol.js';
import { copyBufferSource } from './buffer-source.js';
import { type ReadableStream, TransformStream, type TransformStreamDefaultController, type WritableStream } from './streams.js';

const FORMATS = new Set<string>(['gzip', 'deflate', 'deflate-raw']);

let bridge: HostBridge | null = null;
let nextId = 1;
/** A stream the app dropped before it ended (a reader that stopped reading) gives its host zlib stream back. */
let abandoned: FinalizationRegistry<number> | undefined;

/** Set by install(): the host the work goes to. */
export function useCompressionHost(host: HostBridge): void {
  bridge = host;
}


function codecTransform(name: string, format: unknown, decompress: boolean): TransformStream<unknown, Uint8Array> {
  const text = String(format);
  if (!FORMATS.has(text)) throw new TypeError(`${name}: ${JSON.stringify(text)} is not a supported format (gzip, deflate or deflate-raw)`);
  const host = bridge;
  if (!host) throw new TypeError(`${name}: the platform is not installed`);
  const id = nextId++;
  const registry = (abandoned ??= new FinalizationRegistry<number>((gone) => bridge?.closeCodec(gone)));
  const base = { id, format: text as CompressionFormat, decompress };

  async function run(step: CodecStep, controller: TransformStreamDefaultController<Uint8Array>): Promise<void> {
    let next: CodecStep | null = step;
    while (next) {
      const outcome: HostOutcome<CodecOutput> = await host!.codec(next);
      // Whatever zlib says, a stream that cannot go on is a TypeError to the app, as the standard has it.
      if (!outcome.ok) throw new TypeError(outcome.message);
      for (const chunk of outcome.value.chunks) controller.enqueue(chunk);
      next = outcome.value.more ? { id, op: 'more' } : null;
    }
  }

  const transformer = {
    async transform(chunk: unknown, controller: TransformStreamDefaultController<Uint8Array>) {
      const bytes = copyBufferSource(chunk);
      if (!bytes) throw new TypeError(`${name}: chunks must be ArrayBuffers or ArrayBufferViews`);
      if (bytes.byteLength) await run({ ...base, op: 'write', chunk: bytes }, controller);
    },
    async flush(controller: TransformStreamDefaultController<Uint8Array>) {
      await run({ ...base, op: 'end' }, controller);
      registry.unregister(transformer);
    },
    cancel() {
      registry.unregister(transformer);
      host.closeCodec(id);
    },
  };
  // The transformer lives as long as either side of the stream does; the app often keeps neither wrapper.
  registry.register(transformer, id, transformer);
  return new TransformStream<unknown, Uint8Array>(transformer);
}

/** The two interfaces differ only in their direction; each is a class of its own, with its own name. */
function codecStreamClass(name: 'CompressionStream' | 'DecompressionStream', decompress: boolean) {
  const codec = class {
    readonly #transform: TransformStream<unknown, Uint8Array>;

    constructor(format: unknown) {
      if (arguments.length === 0) throw new TypeError(`${name}: 1 argument required, but only 0 present`);
      this.#transform = codecTransform(name, format, decompress);
    }

    get readable(): ReadableStream<Uint8Array> {
      return this.#transform.readable;
    }
    get writable(): WritableStream<unknown> {
      return this.#transform.writable;
    }
    get [Symbol.toStringTag](): string {
      return name;
    }
  };
  Object.defineProperty(codec, 'name', { value: name });
  return codec;
}

const CompressionStream = codecStreamClass('CompressionStream', false);
const DecompressionStream = codecStreamClass('DecompressionStream', true);

export { CompressionStream, DecompressionStream };
