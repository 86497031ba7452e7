// TenantCache: one app's key-value cache (TTLs, tags, exact purge), confined to the app's own keys.
import { attempt } from './attempt.js';
import type { CacheBackend } from './backend.js';
import { entryBuffer, entryString, toEntryValue, valueBytes, type Entry } from './entry.js';
import type { StoreGuard } from './guard.js';
import type { ReadBudget } from './read-budget.js';
import { entryKey, parseEntryKey } from './keys.js';
import { checkKey, checkKeys, checkTags, checkTtl, checkValueSize, parseSetOptions, type CacheLimits } from './validate.js';

/**
 * Every key the app names is encoded with the app's name before it reaches the store, and the API has no call
 * that takes a store key, lists keys, or names another app: a tenant cannot reach another's entries.
 * A store that fails or does not answer reads as a miss and writes as `false` (logged), never as an exception.
 */
export class TenantCache {
  /**
   * Fly's `cache.global`. Every write here already resolves only after every node sharing the store has dropped
   * its in-process copy, so these are the same operations as `del` and `purgeTag`, kept for Fly-style apps.
   */
  readonly global: { del(key: unknown): Promise<boolean>; purgeTag(tag: unknown): Promise<string[]> };

  constructor(
    readonly app: string,
    private readonly backend: CacheBackend,
    private readonly limits: CacheLimits,
    private readonly guard: StoreGuard,
    /** The app's read budget, shared with its Cache API. */
    private readonly budget: ReadBudget,
  ) {
    this.global = { del: (key) => this.del(key), purgeTag: (tag) => this.purgeTag(tag) };
  }

  private key(key: unknown): string {
    return entryKey('k', this.app, checkKey(key, this.limits));
  }

  private read(keys: string[]): Promise<Array<Entry | undefined>> {
    return this.guard.run('a read', () => this.backend.read(keys, this.budget), keys.map(() => undefined));
  }

  async get(key: unknown): Promise<ArrayBuffer | null> {
    const [entry] = await this.read([this.key(key)]);
    return entry ? entryBuffer(entry) : null;
  }

  async getString(key: unknown): Promise<string | null> {
    const [entry] = await this.read([this.key(key)]);
    return entry ? entryString(entry) : null;
  }

  async getMulti(keys: unknown): Promise<Array<ArrayBuffer | null>> {
    const entries = await this.read(checkKeys(keys, this.limits).map((key) => entryKey('k', this.app, key)));
    return entries.map((entry) => (entry ? entryBuffer(entry) : null));
  }

  async getMultiString(keys: unknown): Promise<Array<string | null>> {
    const entries = await this.read(checkKeys(keys, this.limits).map((key) => entryKey('k', this.app, key)));
    return entries.map((entry) => (entry ? entryString(entry) : null));
  }

  /** Stores a value; `options` is a TTL in seconds or `{ ttl, tags, onlyIfEmpty }`. False when not stored. */
  set(key: unknown, value: unknown, options?: unknown): Promise<boolean> {
    return attempt(() => {
      const stored = this.key(key);
      const entry: Entry = toEntryValue(value);
      checkValueSize(valueBytes(entry), this.limits);
      const { ttlMs, tags, onlyIfEmpty } = parseSetOptions(options, this.limits);
      if (tags?.length) entry.t = tags;
      if (ttlMs !== undefined) entry.x = Date.now() + ttlMs;
      return this.guard.run('a write', () => this.backend.write(this.app, stored, entry, { onlyIfEmpty }), false);
    });
  }

  /** Gives a live key a new TTL in seconds; false when there is no such key. */
  expire(key: unknown, ttl: unknown): Promise<boolean> {
    return attempt(() => {
      const stored = this.key(key);
      const ttlMs = checkTtl(ttl);
      return this.guard.run('an expire', () => this.backend.update(this.app, stored, (entry) => ({ ...entry, x: Date.now() + ttlMs })), false);
    });
  }

  /** Seconds the key has left (Infinity when it never expires), or null when there is no such key. */
  async ttl(key: unknown): Promise<number | null> {
    const [entry] = await this.read([this.key(key)]);
    if (!entry) return null;
    return entry.x === undefined ? Infinity : Math.max(0, entry.x - Date.now()) / 1000;
  }

  del(key: unknown): Promise<boolean> {
    return attempt(() => {
      const stored = this.key(key);
      return this.guard.run('a delete', () => this.backend.remove(this.app, [stored]), false);
    });
  }

  /** Replaces a live key's tags; false when there is no such key. */
  setTags(key: unknown, tags: unknown): Promise<boolean> {
    return attempt(() => {
      const stored = this.key(key);
      const checked = checkTags(tags, this.limits);
      return this.guard.run('a setTags', () => this.backend.update(this.app, stored, ({ t: _old, ...entry }) => (checked.length ? { ...entry, t: checked } : entry)), false);
    });
  }

  /** Deletes every key that carries `tag` now, and answers those keys. */
  async purgeTag(tag: unknown): Promise<string[]> {
    const checked = checkKey(tag, this.limits, 'cache tag');
    const purged = await this.guard.run('a purgeTag', () => this.backend.purgeTag(this.app, checked), []);
    return purged.map((stored) => parseEntryKey(stored)?.key ?? stored);
  }
}
