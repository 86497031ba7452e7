// The stored form of one cache entry, and the conversions between app values and it.
import { ErrorCode, HangarError } from '../../core/errors.js';

/**
 * One entry as kept in the keyv store. Text stays text; bytes are base64, because every keyv backend's
 * serializer carries strings unchanged and raw bytes not at all.
 */
export interface Entry {
  /** The value: the text itself, or base64 when `b` is set. */
  v: string;
  /** Set when `v` is base64 of bytes. */
  b?: 1;
  /** The entry's tags, if any. */
  t?: string[];
  /** When it expires, ms since the epoch; absent: never. */
  x?: number;
}

/** A value an app may store. */
export type CacheValue = string | ArrayBuffer | ArrayBufferView;

export function toEntryValue(value: unknown): Pick<Entry, 'v' | 'b'> {
  if (typeof value === 'string') return { v: value };
  if (value instanceof ArrayBuffer) return { v: Buffer.from(value).toString('base64'), b: 1 };
  if (ArrayBuffer.isView(value)) return { v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), b: 1 };
  throw new HangarError(ErrorCode.BAD_REQUEST, `a cache value must be a string, an ArrayBuffer or a typed array, not ${value === null ? 'null' : typeof value}`);
}

/** The size an entry's value counts for against the value limit, in bytes. */
export function valueBytes(entry: Pick<Entry, 'v' | 'b'>): number {
  return entry.b ? Buffer.byteLength(entry.v, 'base64') : Buffer.byteLength(entry.v);
}

/** The bytes an entry occupies, as counted against an app's total. */
export function entryBytes(key: string, entry: Entry): number {
  let bytes = Buffer.byteLength(key) + Buffer.byteLength(entry.v);
  for (const tag of entry.t ?? []) bytes += Buffer.byteLength(tag);
  return bytes;
}

export function entryBuffer(entry: Entry): ArrayBuffer {
  const bytes = entry.b ? Buffer.from(entry.v, 'base64') : Buffer.from(entry.v);
  // A fresh ArrayBuffer: Buffers may be views into a shared pool that must not reach an app.
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function entryString(entry: Entry): string {
  return entry.b ? Buffer.from(entry.v, 'base64').toString('utf8') : entry.v;
}

export function isLive(entry: Entry | undefined, now = Date.now()): entry is Entry {
  return entry !== undefined && (entry.x === undefined || entry.x > now);
}

/** Milliseconds until the entry expires (at least 1), or undefined when it never does. */
export function remainingMs(entry: Entry, now = Date.now()): number | undefined {
  return entry.x === undefined ? undefined : Math.max(1, entry.x - now);
}
