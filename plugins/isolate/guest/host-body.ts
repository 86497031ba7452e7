// Bodies crossing the bridge: host bodies read here as streams of the chunks moved in, and chunks read for the host.
import type { HostBridge } from '../protocol.js';
import { chunkBytes } from './body.js';
import { ReadableStream, type ReadableStreamDefaultReader } from './streams.js';

/**
 * A host body (a request's, a fetch() response's), pulled one chunk per read. The chunks arrive transferred, and a
 * default stream hands them to the app as they are; a byte stream would copy each one on enqueue here, since V8
 * 11.3 has no ArrayBuffer.prototype.transfer to detach it with.
 */
export function hostBody(bridge: HostBridge, id: number): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const outcome = await bridge.readBody(id);
        if (!outcome.ok) controller.error(new TypeError(outcome.message));
        else if (outcome.value === null) controller.close();
        else controller.enqueue(outcome.value);
      },
      cancel() {
        bridge.dropBody(id);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a body stream for the host, one chunk at a time. */
export interface ChunkReader {
  read(): Promise<Uint8Array | null>;
  cancel(): void;
}

/**
 * Chunks cross to the host copied (the bridge copies them), never detached here: the app, or another branch of a
 * tee, may still hold them. Transferring them out would also leave their bytes counted against this isolate's
 * memory limit until the host's garbage collector freed them.
 */
export function chunkReader(stream: ReadableStream<unknown>): ChunkReader {
  const reader: ReadableStreamDefaultReader<unknown> = stream.getReader();
  return {
    async read() {
      const { done, value } = await reader.read();
      if (done) return null;
      const bytes = chunkBytes(value);
      // A view would carry its whole buffer across; send only its bytes.
      return bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    },
    cancel() {
      reader.cancel().catch(() => undefined);
    },
  };
}
