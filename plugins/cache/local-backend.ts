// The backend for single-process stores (memory, SQLite): keyv for the entries, an in-process index for tags and bytes.
import type Keyv from 'keyv';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Limits } from '../../core/options.js';
import { isEntry, type CacheBackend, type WriteOptions } from './backend.js';
import { entryBytes, isLive, remainingMs, type Entry } from './entry.js';
import { parseEntryKey } from './keys.js';
import { LocalIndex } from './local-index.js';
import type { ReadBudget } from './read-budget.js';

/** How often expired entries are deleted, so stores without native expiry do not grow forever. */
const SWEEP_MS = 30_000;

export class LocalBackend implements CacheBackend {
  private readonly index = new LocalIndex();
  private readonly loaded: Promise<void>;
  /** One queue per app: an app's writes are serialized, so its index and byte count never race. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly store: Keyv,
    private readonly limits: Pick<Limits, 'cacheAppBytes'>,
  ) {
    this.loaded = this.load();
    this.loaded.catch(() => undefined);
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS).unref();
  }

  /** Rebuilds the index from the entries already in the store (a reopened SQLite file). */
  private async load(): Promise<void> {
    if (!this.store.iterator) return;
    for await (const [key, value] of this.store.iterator(undefined)) {
      const parsed = typeof key === 'string' ? parseEntryKey(key) : undefined;
      if (parsed && isEntry(value)) this.index.put(parsed.app, key as string, value);
    }
  }

  private queued<T>(app: string, work: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(app) ?? this.loaded).then(work, work);
    const tail = run.catch(() => undefined);
    this.queues.set(app, tail);
    void tail.then(() => this.queues.get(app) === tail && this.queues.delete(app));
    return run;
  }

  async read(keys: string[], budget?: ReadBudget): Promise<Array<Entry | undefined>> {
    // The index knows each entry's size, so a read past the budget fails before anything is fetched.
    const bytes = budget ? this.bytesOf(budget.app, keys) : 0;
    budget?.take(bytes);
    try {
      const values = keys.length === 1 ? [await this.store.get(keys[0]!)] : await this.store.get(keys);
      const now = Date.now();
      return (values as unknown[]).map((value) => (isEntry(value) && isLive(value, now) ? value : undefined));
    } finally {
      budget?.release(bytes);
    }
  }

  /** What `keys` of `app` hold, as the index counts them (a key named twice counts twice: it is answered twice). */
  private bytesOf(app: string, keys: string[]): number {
    let bytes = 0;
    for (const key of keys) bytes += this.index.bytesOf(app, key);
    return bytes;
  }

  write(app: string, key: string, entry: Entry, options: WriteOptions = {}): Promise<boolean> {
    return this.queued(app, async () => {
      await this.loaded;
      if (options.onlyIfEmpty && this.index.has(app, key)) return false;
      await this.put(app, key, entry);
      return true;
    });
  }

  update(app: string, key: string, change: (entry: Entry) => Entry): Promise<boolean> {
    return this.queued(app, async () => {
      await this.loaded;
      const [current] = await this.read([key]);
      if (!current) return false;
      await this.put(app, key, change(current));
      return true;
    });
  }

  remove(app: string, keys: string[]): Promise<boolean> {
    return this.queued(app, async () => {
      await this.loaded;
      const existed = keys.some((key) => this.index.has(app, key));
      await this.delete(app, keys);
      return existed;
    });
  }

  purgeTag(app: string, tag: string): Promise<string[]> {
    return this.queued(app, async () => {
      await this.loaded;
      const keys = this.index.keysWithTag(app, tag);
      const live = keys.filter((key) => this.index.has(app, key));
      await this.delete(app, keys);
      return live;
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private async put(app: string, key: string, entry: Entry): Promise<void> {
    const limit = this.limits.cacheAppBytes;
    const total = () => this.index.bytes(app) - this.index.bytesOf(app, key) + entryBytes(key, entry);
    if (total() > limit) {
      await this.delete(app, this.index.expired(Date.now(), app).map(([, expired]) => expired));
      if (total() > limit) {
        throw new HangarError(
          ErrorCode.LIMIT_CACHE,
          `app ${app} would hold ${total()} bytes in its cache, over its limit of ${limit}; delete or expire keys, or raise limits.cacheAppBytes`,
          { details: { limit: 'cacheAppBytes', max: limit } },
        );
      }
    }
    if (!(await this.store.set(key, entry, remainingMs(entry)))) throw new Error(`the store refused to write ${key}`);
    this.index.put(app, key, entry);
  }

  private async delete(app: string, keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.store.delete(key)));
    for (const key of keys) this.index.remove(app, key);
  }

  private async sweep(): Promise<void> {
    const byApp = new Map<string, string[]>();
    for (const [app, key] of this.index.expired()) byApp.set(app, [...(byApp.get(app) ?? []), key]);
    await Promise.all([...byApp].map(([app, keys]) => this.queued(app, () => this.delete(app, keys.filter((key) => !this.index.has(app, key))))));
  }
}
