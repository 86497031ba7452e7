// WebIDL's "get a copy of the bytes held by the buffer source": exact bytes in a buffer of their own, or null when not a BufferSource.

/** A copy, never a view: a view would carry its whole buffer across the bridge, and the app may reuse the buffer. */
export function copyBufferSource(value: unknown): Uint8Array | null {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  return null;
}
