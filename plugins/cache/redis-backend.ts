// The backend for a shared Redis store: entries through keyv, tag sets and invalidations in atomic scripts, an in-process layer kept exact over pub/sub.
import type KeyvRedis from '@keyv/redis';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import { isEntry, type CacheBackend, type WriteOptions } from './backend.js';
import { InvalidationBus, type Ticket } from './bus.js';
import { isLive, remainingMs, type Entry } from './entry.js';
import { tagKey } from './keys.js';
import { LocalLayer, type LocalLayerOptions } from './local-layer.js';
import { runScript } from './redis-scripts.js';
import type { RedisClient } from './stores.js';

export interface RedisBackendOptions {
  layer: LocalLayerOptions;
  /** How long a write waits for the other nodes to confirm they dropped their copies. */
  ackTimeoutMs: number;
}

/** How long after start-up calls wait for the first connection instead of failing at once. */
const STARTUP_WAIT_MS = 2_000;

/** A compare-and-set that keeps losing to concurrent writers gives up after this many tries. */
const CAS_TRIES = 5;

export class RedisBackend implements CacheBackend {
  private readonly prefix: string;
  private readonly layer: LocalLayer;
  private readonly bus: InvalidationBus;
  /** Resolves when the client first connects and the bus listens; until then calls wait (within the guard's timeout). */
  private readonly firstReady: Promise<void>;
  private everReady = false;
  private readonly startupUntil = Date.now() + STARTUP_WAIT_MS;

  constructor(
    private readonly store: Keyv,
    private readonly client: RedisClient,
    logger: Logger,
    options: RedisBackendOptions,
  ) {
    const adapter = store.store as KeyvRedis<unknown>;
    this.prefix = adapter.createKeyPrefix('', adapter.namespace);
    this.layer = new LocalLayer(options.layer);
    this.bus = new InvalidationBus(client, `${this.prefix}bus`, { invalidate: (keys) => this.layer.drop(keys), reset: () => this.layer.clear() }, logger, options.ackTimeoutMs);
    // A node without a layer listens too: it must hear the confirmations of its own writes.
    const connected = new Promise<void>((resolve) => (client.isReady ? resolve() : client.once('ready', () => resolve())));
    this.firstReady = Promise.all([connected, this.bus.start()]).then(() => {
      this.everReady = true;
    });
  }

  private full(key: string): string {
    return `${this.prefix}${key}`;
  }

  /**
   * Fails at once while Redis is away (the caller answers a miss). Only in the first seconds after start-up do
   * calls wait for the first connection and subscription, so the first requests neither miss nor skip the layer.
   */
  private ready(): Promise<void> | undefined {
    if (this.client.isReady && this.everReady) return undefined;
    const wait = this.startupUntil - Date.now();
    if (this.everReady || wait <= 0) return this.connected();
    return Promise.race([this.firstReady, new Promise((resolve) => setTimeout(resolve, wait).unref())]).then(() => this.connected());
  }

  private connected(): Promise<void> | undefined {
    return this.client.isReady ? undefined : Promise.reject(new Error('Redis is not connected'));
  }

  async read(keys: string[]): Promise<Array<Entry | undefined>> {
    await this.ready();
    const now = Date.now();
    const layered = this.bus.live;
    const found: Array<Entry | undefined> = keys.map((key) => (layered ? this.layer.get(this.full(key), now) : undefined));
    const missing = keys.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const mark = this.layer.mark();
    const values = (missing.length === 1 ? [await this.store.get(missing[0]!)] : await this.store.get(missing)) as unknown[];
    let next = 0;
    return found.map((hit, i) => {
      if (hit) return hit;
      const value = values[next++];
      if (!isEntry(value) || !isLive(value, now)) return undefined;
      if (layered) this.layer.keep(this.full(keys[i]!), value, mark, now);
      return value;
    });
  }

  async write(app: string, key: string, entry: Entry, options: WriteOptions = {}): Promise<boolean> {
    return this.put(app, key, entry, options.onlyIfEmpty ? 'nx' : 'set');
  }

  async update(app: string, key: string, change: (entry: Entry) => Entry): Promise<boolean> {
    for (let attempt = 0; attempt < CAS_TRIES; attempt++) {
      await this.ready();
      const raw = await this.client.get(this.full(key));
      if (raw === null) return false;
      const current = ((await this.store.deserialize?.(raw)) as { value?: unknown } | undefined)?.value;
      if (!isEntry(current) || !isLive(current)) return false;
      if (await this.put(app, key, change(current), 'cas', raw)) return true;
    }
    throw new Error(`${key} kept changing under concurrent writes`);
  }

  private async put(app: string, key: string, entry: Entry, mode: 'set' | 'nx' | 'cas', expected = ''): Promise<boolean> {
    await this.ready();
    const full = this.full(key);
    const serialized = String(await this.store.serialize?.({ value: entry, expires: entry.x }));
    const tagSets = (entry.t ?? []).map((tag) => this.full(tagKey(app, tag)));
    return this.publishing(async (ticket) => {
      const message = `${ticket.prefix}${JSON.stringify([full])}`;
      const [stored, receivers] = (await runScript(this.client, 'write', [full, ...tagSets], [serialized, String(remainingMs(entry) ?? 0), mode, expected, ...this.notify(message)])) as [number, number];
      return { result: stored === 1, receivers, changed: stored === 1 ? [full] : [] };
    });
  }

  async remove(_app: string, keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    await this.ready();
    const full = keys.map((key) => this.full(key));
    return this.publishing(async (ticket) => {
      const [deleted, receivers] = (await runScript(this.client, 'remove', full, this.notify(`${ticket.prefix}${JSON.stringify(full)}`))) as [number, number];
      return { result: deleted > 0, receivers, changed: full };
    });
  }

  async purgeTag(app: string, tag: string): Promise<string[]> {
    await this.ready();
    // The script compares the tag with the stored JSON, where keyv's serializer escapes strings that start with ':'.
    const stored = (JSON.parse(String(await this.store.serialize?.({ value: tag }))) as { value: string }).value;
    return this.publishing(async (ticket) => {
      const [receivers, purged] = (await runScript(this.client, 'purge', [this.full(tagKey(app, tag))], [stored, ...this.notify(ticket.prefix)])) as [number, string[]];
      return { result: purged.map((full) => full.slice(this.prefix.length)), receivers, changed: purged };
    });
  }

  /** The scripts' trailing arguments: where to publish, whether this node itself listens there, and the message. */
  private notify(message: string): [string, string, string] {
    return [this.bus.channel, this.bus.live ? '1' : '0', message];
  }

  /** Runs a publishing script, drops this node's copies, then waits until the other nodes dropped theirs. */
  private async publishing<T>(run: (ticket: Ticket) => Promise<{ result: T; receivers: number; changed: string[] }>): Promise<T> {
    const ticket = this.bus.open();
    try {
      const { result, receivers, changed } = await run(ticket);
      // After the write landed, so a read that raced it cannot keep the old value (see LocalLayer.keep).
      this.layer.drop(changed);
      await this.bus.confirm(ticket, receivers);
      return result;
    } catch (error) {
      this.bus.cancel(ticket);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.bus.close();
  }
}
