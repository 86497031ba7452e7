// crypto.subtle and CryptoKey: each method runs on the host's WebCrypto; a CryptoKey holds only an opaque handle to its key.
import type { GuestKey, HostBridge, HostOutcome, SubtleMethod } from '../protocol.js';
import { copyBufferSource } from './buffer-source.js';
import { DOMException } from './dom-exception.js';

const CREATE = Symbol('create');

let bridge: HostBridge | null = null;
/** Live CryptoKey objects per handle: structuredClone makes a second object for the same host key. */
const holders = new Map<number, number>();
let collected: FinalizationRegistry<number> | undefined;

/** Set by install(): the host that holds the keys. */
export function useSubtleHost(host: HostBridge): void {
  bridge = host;
}

function hold(handle: number, key: CryptoKey): void {
  holders.set(handle, (holders.get(handle) ?? 0) + 1);
  collected ??= new FinalizationRegistry<number>((gone) => {
    const left = (holders.get(gone) ?? 1) - 1;
    if (left > 0) holders.set(gone, left);
    else {
      holders.delete(gone);
      bridge?.releaseKey(gone);
    }
  });
  collected.register(key, handle);
}

/** Module-private: the handle of a key, and a second CryptoKey for it (structuredClone). */
export let keyHandle: (key: CryptoKey) => number;
export let cloneKey: (key: CryptoKey) => CryptoKey;
/** Module-private: the CryptoKey for a key the host registered. */
let fromGuest: (fields: GuestKey) => CryptoKey;

class CryptoKey {
  #handle = 0;
  #type = '';
  #extractable = false;
  #algorithm: Record<string, unknown> = {};
  #usages: string[] = [];

  constructor(token?: unknown) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
  }

  get type(): string {
    return this.#type;
  }
  get extractable(): boolean {
    return this.#extractable;
  }
  get algorithm(): Record<string, unknown> {
    return this.#algorithm;
  }
  get usages(): string[] {
    return this.#usages;
  }
  get [Symbol.toStringTag](): string {
    return 'CryptoKey';
  }

  static {
    fromGuest = (fields) => {
      const key = new CryptoKey(CREATE);
      key.#handle = fields.handle;
      key.#type = fields.type;
      key.#extractable = fields.extractable;
      key.#algorithm = fields.algorithm;
      key.#usages = fields.usages;
      hold(fields.handle, key);
      return key;
    };
    keyHandle = (key) => key.#handle;
    cloneKey = (key) =>
      fromGuest({ handle: key.#handle, type: key.#type, extractable: key.#extractable, algorithm: structuredCloneData(key.#algorithm), usages: [...key.#usages] });
  }
}

/** An algorithm's fields are plain data (names, numbers, bytes, a nested hash), so a JSON-like copy with bytes will do. */
function structuredCloneData<T>(value: T): T {
  if (value instanceof Uint8Array) return value.slice() as T;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(structuredCloneData) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneData(v)])) as T;
}

function bufferSource(value: unknown, what: string): Uint8Array {
  const bytes = copyBufferSource(value);
  if (!bytes) throw new TypeError(`crypto.subtle: ${what} must be an ArrayBuffer or an ArrayBufferView`);
  return bytes;
}

function keyArg(value: unknown, what: string): number {
  if (!(value instanceof CryptoKey)) throw new TypeError(`crypto.subtle: ${what} must be a CryptoKey`);
  return keyHandle(value);
}

/** An AlgorithmIdentifier as plain data: bytes copied, a CryptoKey (ECDH's public) as its handle. */
function algorithmArg(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || depth > 2) throw new TypeError('crypto.subtle: the algorithm must be a name or an object with a name');
  const out: Record<string, unknown> = {};
  // for…in, as WebIDL reads dictionary members through the prototype chain.
  for (const field in value) {
    const item = (value as Record<string, unknown>)[field];
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' || item === null) out[field] = item;
    else if (item instanceof CryptoKey) out[field] = keyHandle(item);
    else if (item instanceof ArrayBuffer || ArrayBuffer.isView(item)) out[field] = bufferSource(item, field);
    else if (typeof item === 'object') out[field] = algorithmArg(item, depth + 1);
  }
  return out;
}

function usagesArg(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError('crypto.subtle: keyUsages must be a sequence of strings');
  }
  return [...(value as Iterable<unknown>)].map(String);
}

function keyData(format: unknown, data: unknown): unknown {
  if (String(format) !== 'jwk') return bufferSource(data, 'keyData');
  if (typeof data !== 'object' || data === null) throw new TypeError('crypto.subtle: a jwk key must be an object');
  return JSON.parse(JSON.stringify(data));
}

function hostError(outcome: Extract<HostOutcome<unknown>, { ok: false }>): Error {
  if (outcome.name === 'TypeError') return new TypeError(outcome.message);
  if (outcome.name === 'RangeError') return new RangeError(outcome.message);
  return new DOMException(outcome.message, outcome.name);
}

async function call(method: SubtleMethod, args: unknown[]): Promise<unknown> {
  if (!bridge) throw new TypeError('crypto.subtle: the platform is not installed');
  const outcome = await bridge.subtle(method, args);
  if (!outcome.ok) throw hostError(outcome);
  return outcome.value;
}

function isGuestKey(value: unknown): value is GuestKey {
  return typeof value === 'object' && value !== null && typeof (value as GuestKey).handle === 'number';
}

function toKeys(value: unknown): CryptoKey | { publicKey: CryptoKey; privateKey: CryptoKey } {
  if (isGuestKey(value)) return fromGuest(value);
  const pair = value as { publicKey: GuestKey; privateKey: GuestKey };
  return { publicKey: fromGuest(pair.publicKey), privateKey: fromGuest(pair.privateKey) };
}

/** Async methods, so a bad argument rejects the promise rather than throwing, as WebIDL says. */
class SubtleCrypto {
  constructor(token?: unknown) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
  }

  async digest(algorithm: unknown, data: unknown): Promise<unknown> {
    return call('digest', [algorithmArg(algorithm), bufferSource(data, 'data')]);
  }

  async encrypt(algorithm: unknown, key: unknown, data: unknown): Promise<unknown> {
    return call('encrypt', [algorithmArg(algorithm), keyArg(key, 'key'), bufferSource(data, 'data')]);
  }

  async decrypt(algorithm: unknown, key: unknown, data: unknown): Promise<unknown> {
    return call('decrypt', [algorithmArg(algorithm), keyArg(key, 'key'), bufferSource(data, 'data')]);
  }

  async sign(algorithm: unknown, key: unknown, data: unknown): Promise<unknown> {
    return call('sign', [algorithmArg(algorithm), keyArg(key, 'key'), bufferSource(data, 'data')]);
  }

  async verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<unknown> {
    return call('verify', [algorithmArg(algorithm), keyArg(key, 'key'), bufferSource(signature, 'signature'), bufferSource(data, 'data')]);
  }

  async generateKey(algorithm: unknown, extractable: unknown, usages: unknown): Promise<unknown> {
    return toKeys(await call('generateKey', [algorithmArg(algorithm), Boolean(extractable), usagesArg(usages)]));
  }

  async deriveBits(algorithm: unknown, baseKey: unknown, length: unknown = null): Promise<unknown> {
    return call('deriveBits', [algorithmArg(algorithm), keyArg(baseKey, 'baseKey'), length === null ? null : Number(length)]);
  }

  async deriveKey(algorithm: unknown, baseKey: unknown, derivedKeyType: unknown, extractable: unknown, usages: unknown): Promise<unknown> {
    const args = [algorithmArg(algorithm), keyArg(baseKey, 'baseKey'), algorithmArg(derivedKeyType), Boolean(extractable), usagesArg(usages)];
    return toKeys(await call('deriveKey', args));
  }

  async importKey(format: unknown, data: unknown, algorithm: unknown, extractable: unknown, usages: unknown): Promise<unknown> {
    return toKeys(await call('importKey', [String(format), keyData(format, data), algorithmArg(algorithm), Boolean(extractable), usagesArg(usages)]));
  }

  async exportKey(format: unknown, key: unknown): Promise<unknown> {
    return call('exportKey', [String(format), keyArg(key, 'key')]);
  }

  async wrapKey(format: unknown, key: unknown, wrappingKey: unknown, wrapAlgorithm: unknown): Promise<unknown> {
    return call('wrapKey', [String(format), keyArg(key, 'key'), keyArg(wrappingKey, 'wrappingKey'), algorithmArg(wrapAlgorithm)]);
  }

  async unwrapKey(
    format: unknown,
    wrappedKey: unknown,
    unwrappingKey: unknown,
    unwrapAlgorithm: unknown,
    unwrappedKeyAlgorithm: unknown,
    extractable: unknown,
    usages: unknown,
  ): Promise<unknown> {
    const args = [
      String(format),
      bufferSource(wrappedKey, 'wrappedKey'),
      keyArg(unwrappingKey, 'unwrappingKey'),
      algorithmArg(unwrapAlgorithm),
      algorithmArg(unwrappedKeyAlgorithm),
      Boolean(extractable),
      usagesArg(usages),
    ];
    return toKeys(await call('unwrapKey', args));
  }

  get [Symbol.toStringTag](): string {
    return 'SubtleCrypto';
  }
}

export function createSubtle(): SubtleCrypto {
  return new SubtleCrypto(CREATE);
}

export { CryptoKey, SubtleCrypto };
