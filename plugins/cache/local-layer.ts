// The in-process layer in front of a shared store: recently read entries, dropped whenever any node changes them.
import { LRUCache } from 'lru-cache';
import type { Entry } from './entry.js';

export interface LocalLayerOptions {
  /** Total bytes of values held (0 turns the layer off). */
  maxBytes: number;
  /** Larger values are always read from the store. */
  maxEntryBytes: number;
  /** An upper bound on how long a copy is kept, whatever invalidations say. */
  maxAgeMs: number;
}

export class LocalLayer {
  private readonly entries?: LRUCache<string, Entry>;
  /**
   * Bumped by every invalidation. A read that started before a bump may carry a value older than the write
   * behind it, so its result is not kept (see `keep`).
   */
  private epoch = 0;

  constructor(private readonly options: LocalLayerOptions) {
    if (options.maxBytes > 0) {
      this.entries = new LRUCache<string, Entry>({ maxSize: options.maxBytes, sizeCalculation: (entry) => Math.max(1, entry.v.length), ttl: options.maxAgeMs, ttlAutopurge: false });
    }
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  /** The epoch to hand back to `keep` after a store read. */
  mark(): number {
    return this.epoch;
  }

  get(key: string, now = Date.now()): Entry | undefined {
    const entry = this.entries?.get(key);
    if (entry?.x !== undefined && entry.x <= now) {
      this.entries?.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Keeps what a store read found, unless an invalidation arrived since `mark`. */
  keep(key: string, entry: Entry, mark: number, now = Date.now()): void {
    if (!this.entries || mark !== this.epoch || entry.v.length > this.options.maxEntryBytes) return;
    const ttl = entry.x === undefined ? this.options.maxAgeMs : Math.min(this.options.maxAgeMs, entry.x - now);
    if (ttl > 0) this.entries.set(key, entry, { ttl });
  }

  drop(keys: string[]): void {
    this.epoch++;
    for (const key of keys) this.entries?.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries?.clear();
  }
}
