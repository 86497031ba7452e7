// CacheBackend: what the tenant cache and the Cache API need from a store, with one implementation per kind of store.
import type { Entry } from './entry.js';
import type { ReadBudget } from './read-budget.js';

export interface WriteOptions {
  /** Store only when the key holds no live entry. */
  onlyIfEmpty?: boolean;
}

/**
 * Keys are entry keys (see keys.ts); `app` names the tenant whose tag sets and byte budget a call touches.
 * Store failures reject; the services in front turn them into misses.
 */
export interface CacheBackend {
  /**
   * Entries by key; a missing or expired one is undefined. With a `budget` (an app's reads), what they answer is
   * counted against it, and a read past it rejects with its E_LIMIT_CACHE error, before fetching where the store can.
   */
  read(keys: string[], budget?: ReadBudget): Promise<Array<Entry | undefined>>;
  /** Stores an entry (its `x` is its expiry); false when `onlyIfEmpty` found a live entry. */
  write(app: string, key: string, entry: Entry, options?: WriteOptions): Promise<boolean>;
  /** Rewrites a live entry through `change` (new tags or expiry); false when there is none. */
  update(app: string, key: string, change: (entry: Entry) => Entry): Promise<boolean>;
  /** Deletes entries; true when any of them existed. */
  remove(app: string, keys: string[]): Promise<boolean>;
  /** Deletes every entry of the app that carries `tag` now, and answers their keys. */
  purgeTag(app: string, tag: string): Promise<string[]>;
  close(): Promise<void>;
}

/** A stored value that is an Entry (anything else under our keys is ignored as a miss). */
export function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && typeof (value as Entry).v === 'string';
}
