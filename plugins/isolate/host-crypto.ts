// crypto for the guest, run by node:crypto: random bytes, and crypto.subtle whose keys stay here while the guest holds handles.
import { randomFillSync, webcrypto } from 'node:crypto';
import type { GuestKey, SubtleMethod } from './protocol.js';

type CryptoKey = webcrypto.CryptoKey;
type Algorithm = Record<string, unknown>;

/** The most random bytes one getRandomValues call may ask for, per the Web Crypto standard. */
const RANDOM_MAX = 65_536;
/** Keys one isolate may hold at once; the guest releases handles as its CryptoKeys are collected. */
const MAX_KEYS = 10_000;
/** Work the host's thread pool does for one call is bounded, as on Cloudflare Workers: PBKDF2 and RSA keygen are the costly ones. */
const MAX_PBKDF2_ITERATIONS = 100_000;
const MAX_RSA_BITS = 4096;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** node's WebCrypto, typed loosely: it checks the algorithms it is given itself, at run time. */
const subtle = webcrypto.subtle as unknown as Record<SubtleMethod, (...args: unknown[]) => Promise<unknown>>;

const METHODS = new Set<SubtleMethod>(['digest', 'encrypt', 'decrypt', 'sign', 'verify', 'generateKey', 'deriveBits', 'deriveKey', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey']);

/** n fresh random bytes in a buffer of their own (never a slice of a shared pool). */
export function randomBytes(length: number): Uint8Array {
  const n = Number.isSafeInteger(length) ? Math.min(Math.max(length, 0), RANDOM_MAX) : 0;
  return randomFillSync(new Uint8Array(n));
}

function fail(message: string, name = 'TypeError'): Error {
  if (name === 'TypeError') return new TypeError(message);
  return new DOMException(message, name);
}

function bytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw fail(`crypto.subtle: ${what} must be a BufferSource`);
}

function usages(value: unknown): webcrypto.KeyUsage[] {
  if (!Array.isArray(value) || !value.every((usage) => typeof usage === 'string')) throw fail('crypto.subtle: keyUsages must be a list of strings');
  return value as webcrypto.KeyUsage[];
}

export class HostCrypto {
  private readonly keys = new Map<number, CryptoKey>();
  private nextHandle = 1;

  /** Runs one crypto.subtle method; arguments are copies of guest data, so every one is checked. */
  async call(method: unknown, args: unknown): Promise<unknown> {
    try {
      return await this.run(method, args);
    } catch (error) {
      // Node 20 names one of its errors off-standard; the guest should see the standard name.
      if (error instanceof Error && error.name === 'InvalidAccessException') throw fail(error.message, 'InvalidAccessError');
      throw error;
    }
  }

  private async run(method: unknown, args: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !METHODS.has(method as SubtleMethod) || !Array.isArray(args)) {
      throw fail('crypto.subtle: unknown method');
    }
    const a = args;
    switch (method as SubtleMethod) {
      case 'digest':
        return subtle.digest(this.algorithm(a[0]), bytes(a[1], 'data'));
      case 'encrypt':
        return subtle.encrypt(this.algorithm(a[0]), this.key(a[1]), bytes(a[2], 'data'));
      case 'decrypt':
        return subtle.decrypt(this.algorithm(a[0]), this.key(a[1]), bytes(a[2], 'data'));
      case 'sign':
        return subtle.sign(this.algorithm(a[0]), this.key(a[1]), bytes(a[2], 'data'));
      case 'verify':
        return subtle.verify(this.algorithm(a[0]), this.key(a[1]), bytes(a[2], 'signature'), bytes(a[3], 'data'));
      case 'generateKey': {
        const algorithm = this.algorithm(a[0]);
        if (Number(algorithm.modulusLength) > MAX_RSA_BITS) throw fail(`crypto.subtle.generateKey: RSA keys longer than ${MAX_RSA_BITS} bits are not supported`, 'NotSupportedError');
        return this.keyResult(await subtle.generateKey(algorithm, Boolean(a[1]), usages(a[2])));
      }
      case 'deriveBits':
        return subtle.deriveBits(this.algorithm(a[0]), this.key(a[1]), a[2] === null ? null : Number(a[2]));
      case 'deriveKey':
        return this.keyResult(await subtle.deriveKey(this.algorithm(a[0]), this.key(a[1]), this.algorithm(a[2]), Boolean(a[3]), usages(a[4])));
      case 'importKey':
        return this.keyResult(await subtle.importKey(...this.importArgs(a[0], a[1], a[2], a[3], a[4])));
      case 'exportKey':
        return subtle.exportKey(this.format(a[0]), this.key(a[1]));
      case 'wrapKey':
        return subtle.wrapKey(this.format(a[0]), this.key(a[1]), this.key(a[2]), this.algorithm(a[3]));
      case 'unwrapKey':
        return this.keyResult(
          await subtle.unwrapKey(this.format(a[0]), bytes(a[1], 'wrappedKey'), this.key(a[2]), this.algorithm(a[3]), this.algorithm(a[4]), Boolean(a[5]), usages(a[6])),
        );
    }
  }

  /** The guest's CryptoKey was collected: its handle is never used again. */
  release(handle: number): void {
    this.keys.delete(handle);
  }

  dispose(): void {
    this.keys.clear();
  }

  private key(handle: unknown): CryptoKey {
    const key = typeof handle === 'number' ? this.keys.get(handle) : undefined;
    if (!key) throw fail('crypto.subtle: the key is not a CryptoKey of this isolate');
    return key;
  }

  private format(value: unknown): 'raw' | 'pkcs8' | 'spki' | 'jwk' {
    if (value === 'raw' || value === 'pkcs8' || value === 'spki' || value === 'jwk') return value;
    throw fail(`crypto.subtle: ${JSON.stringify(String(value))} is not a key format (raw, pkcs8, spki or jwk)`);
  }

  private importArgs(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown) {
    const checked = this.format(format);
    // A JWK is plain JSON data; a round trip drops anything else a copy could carry.
    const data = checked === 'jwk' ? (JSON.parse(JSON.stringify(keyData ?? null)) as webcrypto.JsonWebKey) : bytes(keyData, 'keyData');
    return [checked, data, this.algorithm(algorithm), Boolean(extractable), usages(keyUsages)];
  }

  /** An algorithm rebuilt from plain fields only; a `public` handle (ECDH, X25519) becomes this isolate's key. */
  private algorithm(value: unknown, depth = 0): Algorithm {
    if (typeof value === 'string') return { name: value };
    if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 2) throw fail('crypto.subtle: the algorithm must be a name or an object with a name');
    const algorithm: Algorithm = {};
    for (const [field, item] of Object.entries(value)) {
      if (UNSAFE_KEYS.has(field)) continue;
      if (field === 'public' && typeof item === 'number') algorithm[field] = this.key(item);
      else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' || item === null) algorithm[field] = item;
      else if (item instanceof Uint8Array || item instanceof ArrayBuffer) algorithm[field] = bytes(item, field);
      else if (typeof item === 'object') algorithm[field] = this.algorithm(item, depth + 1);
    }
    if (String(algorithm.name).toUpperCase() === 'PBKDF2' && Number(algorithm.iterations) > MAX_PBKDF2_ITERATIONS) {
      throw fail(`crypto.subtle: PBKDF2 with more than ${MAX_PBKDF2_ITERATIONS} iterations is not supported`, 'NotSupportedError');
    }
    return algorithm;
  }

  private keyResult(value: unknown): GuestKey | { publicKey: GuestKey; privateKey: GuestKey } {
    const result = value as CryptoKey | webcrypto.CryptoKeyPair;
    if ('privateKey' in result) return { publicKey: this.register(result.publicKey), privateKey: this.register(result.privateKey) };
    return this.register(result);
  }

  private register(key: CryptoKey): GuestKey {
    if (this.keys.size >= MAX_KEYS) throw fail(`crypto.subtle: an isolate may hold at most ${MAX_KEYS} keys at once`, 'QuotaExceededError');
    const handle = this.nextHandle++;
    this.keys.set(handle, key);
    return { handle, type: key.type, extractable: key.extractable, algorithm: structuredClone(key.algorithm) as unknown as Algorithm, usages: [...key.usages] };
  }
}
