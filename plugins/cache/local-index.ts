// The in-process index of a single-process store (memory, SQLite): each app's bytes, each tag's keys, each key's expiry.
import { entryBytes, type Entry } from './entry.js';

interface Indexed {
  bytes: number;
  x?: number;
  t?: string[];
}

interface AppIndex {
  bytes: number;
  entries: Map<string, Indexed>;
  tags: Map<string, Set<string>>;
}

/**
 * Derived from the entries themselves (each carries its tags and expiry), so it is rebuilt by one scan when a
 * persistent store is reopened and never written to the store.
 */
export class LocalIndex {
  private readonly apps = new Map<string, AppIndex>();

  private app(name: string): AppIndex {
    let app = this.apps.get(name);
    if (!app) this.apps.set(name, (app = { bytes: 0, entries: new Map(), tags: new Map() }));
    return app;
  }

  put(app: string, key: string, entry: Entry): void {
    this.remove(app, key);
    const index = this.app(app);
    const indexed: Indexed = { bytes: entryBytes(key, entry), x: entry.x, t: entry.t };
    index.entries.set(key, indexed);
    index.bytes += indexed.bytes;
    for (const tag of entry.t ?? []) {
      let keys = index.tags.get(tag);
      if (!keys) index.tags.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(app: string, key: string): void {
    const index = this.apps.get(app);
    const indexed = index?.entries.get(key);
    if (!index || !indexed) return;
    index.entries.delete(key);
    index.bytes -= indexed.bytes;
    for (const tag of indexed.t ?? []) {
      const keys = index.tags.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) index.tags.delete(tag);
    }
    if (index.entries.size === 0) this.apps.delete(app);
  }

  /** Whether the key holds a live entry. */
  has(app: string, key: string, now = Date.now()): boolean {
    const indexed = this.apps.get(app)?.entries.get(key);
    return indexed !== undefined && (indexed.x === undefined || indexed.x > now);
  }

  /** The bytes an entry is counted for (0 when absent). */
  bytesOf(app: string, key: string): number {
    return this.apps.get(app)?.entries.get(key)?.bytes ?? 0;
  }

  /** The keys whose entries carry `tag` right now: the index follows every write, so this is exact. */
  keysWithTag(app: string, tag: string): string[] {
    return [...(this.apps.get(app)?.tags.get(tag) ?? [])];
  }

  bytes(app: string): number {
    return this.apps.get(app)?.bytes ?? 0;
  }

  /** Expired keys, for the sweep; one app's only when `app` is given. */
  expired(now = Date.now(), app?: string): Array<[app: string, key: string]> {
    const found: Array<[string, string]> = [];
    for (const [name, index] of app === undefined ? this.apps : [[app, this.apps.get(app)] as const]) {
      for (const [key, indexed] of index?.entries ?? []) if (indexed.x !== undefined && indexed.x <= now) found.push([name, key]);
    }
    return found;
  }
}
