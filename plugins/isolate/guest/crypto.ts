// The crypto global: getRandomValues and randomUUID from host entropy, and subtle.
import type { HostBridge } from '../protocol.js';
import { DOMException } from './dom-exception.js';
import { createSubtle, type SubtleCrypto } from './subtle.js';

const CREATE = Symbol('create');
const MAX_BYTES = 65_536;
/** Entropy fetched per host call: the calls are synchronous, so small requests are served from a pool. */
const POOL_BYTES = 4096;
const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

let bridge: HostBridge | null = null;
let pool: Uint8Array = new Uint8Array(0);
let used = 0;

/** Set by install(). The pool starts empty in every isolate, so no two isolates ever share entropy. */
export function useRandomHost(host: HostBridge): void {
  bridge = host;
  pool = new Uint8Array(0);
  used = 0;
}

function randomBytes(length: number): Uint8Array {
  if (!bridge) throw new TypeError('crypto: the platform is not installed');
  if (length > POOL_BYTES) return bridge.randomBytes(length);
  if (used + length > pool.byteLength) {
    pool = bridge.randomBytes(POOL_BYTES);
    used = 0;
  }
  const bytes = pool.subarray(used, used + length);
  used += length;
  return bytes;
}

class Crypto {
  readonly #subtle: SubtleCrypto;

  constructor(token?: unknown) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
    this.#subtle = createSubtle();
  }

  get subtle(): SubtleCrypto {
    return this.#subtle;
  }

  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (!ArrayBuffer.isView(array)) throw new TypeError('crypto.getRandomValues: the argument must be an integer typed array');
    const tag = Object.prototype.toString.call(array).slice(8, -1);
    if (!INTEGER_ARRAYS.includes(tag)) throw new DOMException(`crypto.getRandomValues: a ${tag} is not an integer typed array`, 'TypeMismatchError');
    if (array.byteLength > MAX_BYTES) throw new DOMException(`crypto.getRandomValues: at most ${MAX_BYTES} bytes may be asked for at once`, 'QuotaExceededError');
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(randomBytes(array.byteLength));
    return array;
  }

  randomUUID(): string {
    const b = randomBytes(16).slice();
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = (i: number) => HEX[b[i]!]!;
    return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
  }

  get [Symbol.toStringTag](): string {
    return 'Crypto';
  }
}

export function createCrypto(): Crypto {
  return new Crypto(CREATE);
}

export { Crypto };
