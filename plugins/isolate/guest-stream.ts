// A host ReadableStream pulled from a guest body stream, one chunk per pull.
export interface GuestStreamSource {
  /** The next chunk, or null at the end; a rejection is the error the stream fails with. */
  pull(): Promise<unknown>;
  /** The host stops reading early. */
  cancel(): void;
  /** Called once: at the end, on the first error, or on cancel. */
  end(error?: unknown): void;
}

export function guestStream(source: GuestStreamSource): ReadableStream<Uint8Array> {
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    source.end(error);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await source.pull();
          if (chunk === null) {
            controller.close();
            end();
          } else if (chunk instanceof Uint8Array) {
            controller.enqueue(chunk);
          } else {
            throw new TypeError('a body chunk from the app is not bytes');
          }
        } catch (error) {
          controller.error(error);
          end(error);
        }
      },
      cancel() {
        source.cancel();
        end();
      },
    },
    // Pull-based: nothing is read from the guest before the host's reader asks for it.
    { highWaterMark: 0 },
  );
}
