// structuredClone, per the HTML standard's structured serialize/deserialize, done in one pass inside the isolate.
import { Blob, blobBytes, blobOf, File } from './blob.js';
import { DOMException } from './dom-exception.js';
import { cloneKey, CryptoKey } from './subtle.js';

const ERROR_TYPES: Record<string, ErrorConstructor> = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
type TypedArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;

/** Objects with internal state that cannot be serialized; the platform's own interfaces are added by install(). */
const unserializable = new WeakSet<object>(
  [Promise, WeakMap, WeakSet, WeakRef, FinalizationRegistry].map((constructor) => constructor.prototype as object),
);

let detach: (buffer: ArrayBuffer) => void = () => {
  throw cannotClone('a transferred ArrayBuffer');
};

/** Set by install(): how to detach a transferred ArrayBuffer (isolated-vm's ExternalCopy can; plain JS cannot). */
export function useDetacher(detacher: (buffer: ArrayBuffer) => void): void {
  detach = detacher;
}

/** Set by install(): the prototypes of platform interfaces (Request, ReadableStream, …), which are not serializable. */
export function refuseToClone(prototypes: object[]): void {
  for (const prototype of prototypes) unserializable.add(prototype);
}

function cannotClone(what: string): DOMException {
  return new DOMException(`structuredClone: ${what} could not be cloned`, 'DataCloneError');
}

function isPlatformObject(value: object): boolean {
  for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) if (unserializable.has(proto)) return true;
  return false;
}

function cloneBuffer(buffer: ArrayBuffer): ArrayBuffer {
  const resizable = buffer as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
  if (!resizable.resizable) return buffer.slice(0);
  const copy = new (ArrayBuffer as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(buffer.byteLength, { maxByteLength: resizable.maxByteLength! });
  new Uint8Array(copy).set(new Uint8Array(buffer));
  return copy;
}

function clone(value: unknown, memory: Map<object, unknown>): unknown {
  if (typeof value === 'symbol') throw cannotClone('a Symbol');
  if (typeof value === 'function') throw cannotClone(`function ${value.name || '(anonymous)'}`);
  if (typeof value !== 'object' || value === null) return value;
  if (memory.has(value)) return memory.get(value);
  const remember = <T>(copy: T): T => (memory.set(value, copy), copy);
  const tag = Object.prototype.toString.call(value).slice(8, -1);

  if (value instanceof Boolean || value instanceof Number || value instanceof String || (tag === 'BigInt' && typeof value.valueOf() === 'bigint')) {
    return remember(Object(value.valueOf()));
  }
  if (value instanceof Date) return remember(new Date(value.getTime()));
  if (value instanceof RegExp) return remember(new RegExp(value.source, value.flags));
  if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer) throw cannotClone('a SharedArrayBuffer');
  if (value instanceof ArrayBuffer) return remember(cloneBuffer(value));
  if (ArrayBuffer.isView(value)) {
    // Through memory, so views that shared a buffer share its copy.
    const buffer = clone(value.buffer, memory) as ArrayBuffer;
    const View = value.constructor as TypedArrayConstructor;
    const length = value instanceof DataView ? value.byteLength : (value as unknown as { length: number }).length;
    return remember(new View(buffer, value.byteOffset, length));
  }
  if (value instanceof Map) {
    const copy = remember(new Map());
    for (const [k, v] of [...value]) copy.set(clone(k, memory), clone(v, memory));
    return copy;
  }
  if (value instanceof Set) {
    const copy = remember(new Set());
    for (const item of [...value]) copy.add(clone(item, memory));
    return copy;
  }
  if (value instanceof DOMException) return remember(new DOMException(value.message, value.name));
  if (value instanceof Error) {
    const name = String(value.name);
    const copy = remember(new (ERROR_TYPES[name] ?? Error)());
    const message = Object.getOwnPropertyDescriptor(value, 'message');
    if (message && 'value' in message) Object.defineProperty(copy, 'message', { value: String(message.value), writable: true, configurable: true });
    Object.defineProperty(copy, 'stack', { value: String(value.stack ?? ''), writable: true, configurable: true });
    return copy;
  }
  if (value instanceof File) return remember(new File([value], value.name, { type: value.type, lastModified: value.lastModified }));
  if (value instanceof Blob) return remember(blobOf(blobBytes(value), value.type));
  if (value instanceof CryptoKey) return remember(cloneKey(value));
  if (isPlatformObject(value)) throw cannotClone(`a ${tag}`);
  // Arrays and ordinary objects (of any class: they come back plain) copy their own enumerable string-keyed properties.
  const copy = remember(Array.isArray(value) ? new Array(value.length) : {}) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor?.enumerable) copy[key] = clone((value as Record<string, unknown>)[key], memory);
  }
  return copy;
}

export function structuredClone(value: unknown, options: { transfer?: Iterable<unknown> } | null = {}): unknown {
  if (arguments.length === 0) throw new TypeError('structuredClone: 1 argument required, but only 0 present');
  const transfer = options?.transfer === undefined ? [] : [...options.transfer];
  const seen = new Set<unknown>();
  for (const item of transfer) {
    if (!(item instanceof ArrayBuffer)) throw cannotClone('a transfer list item that is not an ArrayBuffer');
    if (seen.has(item)) throw cannotClone('a transfer list with an ArrayBuffer twice');
    seen.add(item);
  }
  const copy = clone(value, new Map());
  // The clone holds copies; the originals are detached afterwards, so to the app they moved.
  for (const buffer of transfer as ArrayBuffer[]) {
    try {
      detach(buffer);
    } catch {
      throw cannotClone('a transferred ArrayBuffer that cannot be detached');
    }
  }
  return copy;
}
