// Checks what an app passes to its cache, turning bad input and exceeded limits into HangarErrors that say what to fix.
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Limits } from '../../core/options.js';

export type CacheLimits = Pick<Limits, 'cacheValueBytes' | 'cacheKeyBytes' | 'cacheTagsPerKey' | 'cacheMultiKeys'>;

export interface SetOptions {
  ttlMs?: number;
  tags?: string[];
  onlyIfEmpty: boolean;
}

function tooLarge(message: string, limit: keyof Limits, max: number): HangarError {
  return new HangarError(ErrorCode.LIMIT_CACHE, message, { details: { limit, max } });
}

/** A key (or tag, or cache name): a non-empty string within the key limit. */
export function checkKey(key: unknown, limits: CacheLimits, what = 'cache key'): string {
  if (typeof key !== 'string' || key === '') throw new HangarError(ErrorCode.BAD_REQUEST, `a ${what} must be a non-empty string`);
  const bytes = Buffer.byteLength(key);
  if (bytes > limits.cacheKeyBytes) throw tooLarge(`a ${what} of ${bytes} bytes is longer than the limit of ${limits.cacheKeyBytes}; use a shorter one or raise limits.cacheKeyBytes`, 'cacheKeyBytes', limits.cacheKeyBytes);
  return key;
}

export function checkKeys(keys: unknown, limits: CacheLimits): string[] {
  if (!Array.isArray(keys)) throw new HangarError(ErrorCode.BAD_REQUEST, 'getMulti takes an array of keys');
  if (keys.length > limits.cacheMultiKeys) {
    throw tooLarge(`getMulti takes at most ${limits.cacheMultiKeys} keys; ${keys.length} were given (split the read or raise limits.cacheMultiKeys)`, 'cacheMultiKeys', limits.cacheMultiKeys);
  }
  return keys.map((key) => checkKey(key, limits));
}

/** Tags, deduplicated; within the per-key count and the key length limit. */
export function checkTags(tags: unknown, limits: CacheLimits): string[] {
  if (!Array.isArray(tags)) throw new HangarError(ErrorCode.BAD_REQUEST, 'tags must be an array of strings');
  const unique = [...new Set(tags.map((tag) => checkKey(tag, limits, 'cache tag')))];
  if (unique.length > limits.cacheTagsPerKey) {
    throw tooLarge(`a key may carry ${limits.cacheTagsPerKey} tags; ${unique.length} were given (raise limits.cacheTagsPerKey for more)`, 'cacheTagsPerKey', limits.cacheTagsPerKey);
  }
  return unique;
}

export function checkValueSize(bytes: number, limits: CacheLimits): void {
  if (bytes > limits.cacheValueBytes) {
    throw tooLarge(`a cache value of ${bytes} bytes is larger than the limit of ${limits.cacheValueBytes}; store less or raise limits.cacheValueBytes`, 'cacheValueBytes', limits.cacheValueBytes);
  }
}

/** A TTL in seconds (fractions allowed), as milliseconds. */
export function checkTtl(ttl: unknown): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) throw new HangarError(ErrorCode.BAD_REQUEST, `a ttl is a number of seconds greater than 0, not ${String(ttl)}`);
  const ms = Math.max(1, Math.round(ttl * 1000));
  // Past this an expiry is no exact number of milliseconds (and 1e306 seconds is Infinity of them).
  if (!Number.isSafeInteger(ms)) throw new HangarError(ErrorCode.BAD_REQUEST, `a ttl is at most ${Math.floor(Number.MAX_SAFE_INTEGER / 1000)} seconds, not ${ttl}; leave it out to keep the key until it is changed`);
  return ms;
}

const SET_OPTIONS = new Set(['ttl', 'tags', 'onlyIfEmpty']);

/** `set`'s third argument: nothing, a TTL in seconds, or `{ ttl, tags, onlyIfEmpty }`. */
export function parseSetOptions(options: unknown, limits: CacheLimits): SetOptions {
  if (options === undefined || options === null) return { onlyIfEmpty: false };
  if (typeof options === 'number') return { ttlMs: checkTtl(options), onlyIfEmpty: false };
  if (typeof options !== 'object' || Array.isArray(options)) throw new HangarError(ErrorCode.BAD_REQUEST, 'set takes a ttl in seconds or { ttl, tags, onlyIfEmpty } as its third argument');
  const given = options as Record<string, unknown>;
  const unknown = Object.keys(given).filter((name) => !SET_OPTIONS.has(name));
  if (unknown.length) throw new HangarError(ErrorCode.BAD_REQUEST, `set does not know the option ${unknown.join(', ')}; use ttl, tags or onlyIfEmpty`);
  return {
    ttlMs: given.ttl === undefined ? undefined : checkTtl(given.ttl),
    tags: given.tags === undefined ? undefined : checkTags(given.tags, limits),
    onlyIfEmpty: given.onlyIfEmpty === true,
  };
}
