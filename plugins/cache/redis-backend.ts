// The backend for a shared Redis store: entries in keyv's format, each write atomic with its tag sets and invalidation, an in-process layer kept exact over pub/sub.
import type KeyvRedis from '@keyv/redis';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import { isEntry, type CacheBackend, type WriteOptions } from './backend.js';
import { InvalidationBus, type Ticket } from './bus.js';
import { isLive, remainingMs, type Entry } from './entry.js';
import { tagKey } from './keys.js';
import { LocalLayer, type LocalLayerOptions } from './local-layer.js';
import type { ReadBudget } from './read-budget.js';
import { OVER_BUDGET, RedisBatch, type RawRead } from './redis-batch.js';
import { RedisScripts, type ScriptName } from './redis-scripts.js';
import type { RedisClient } from './stores.js';

type Multi = ReturnType<RedisClient['multi']>;

export interface RedisBackendOptions {
  layer: LocalLayerOptions;
  /** How long a write waits for the other nodes to confirm they dropped their copies. */
  ackTimeoutMs: number;
  /** The largest value an app may store (limits.cacheValueBytes): reads size values first only when less is left. */
  largestValue: number;
}

/** How long after start-up calls wait for the first connection instead of failing at once. */
const STARTUP_WAIT_MS = 2_000;

/** A compare-and-set that keeps losing to concurrent writers gives up after this many tries. */
const CAS_TRIES = 5;

export class RedisBackend implements CacheBackend {
  private readonly prefix: string;
  private readonly layer: LocalLayer;
  private readonly largestValue: number;
  private readonly bus: InvalidationBus;
  /** Resolves when the client first connects and the bus listens; until then calls wait (within the guard's timeout). */
  private readonly firstReady: Promise<void>;
  private everReady = false;
  private readonly startupUntil = Date.now() + STARTUP_WAIT_MS;
  /** The turn's plain reads or plain writes, waiting to go as one command. */
  private readonly batch: RedisBatch;
  private readonly scripts: RedisScripts;

  constructor(
    private readonly store: Keyv,
    private readonly client: RedisClient,
    logger: Logger,
    options: RedisBackendOptions,
  ) {
    const adapter = store.store as KeyvRedis<unknown>;
    this.prefix = adapter.createKeyPrefix('', adapter.namespace);
    this.layer = new LocalLayer(options.layer);
    // A number Lua reads back (it has no Infinity): a budget that cannot fit one value sizes each before fetching.
    this.largestValue = Math.min(options.largestValue, Number.MAX_SAFE_INTEGER);
    this.bus = new InvalidationBus(client, `${this.prefix}bus`, { invalidate: (keys) => this.layer.drop(keys), reset: () => this.layer.clear() }, logger, options.ackTimeoutMs);
    // A node without a layer listens too: it must hear the confirmations of its own writes.
    const connected = new Promise<void>((resolve) => (client.isReady ? resolve() : client.once('ready', () => resolve())));
    this.firstReady = Promise.all([connected, this.bus.start()]).then(() => {
      this.everReady = true;
    });
    this.scripts = new RedisScripts(client);
    this.batch = new RedisBatch({
      // One key alone cannot answer more than one entry, so it needs no sizing.
      read: (keys, budgets) => (keys.length === 1 ? client.get(keys[0]!).then((value) => [value]) : this.readMany(keys, budgets)),
      write: (keys, values) => this.writeMany(keys, values),
    });
  }

  /**
   * A batch of reads: MGET when none counts against a budget, else the read script, which sizes each value before it
   * sends it, so no app's share of the answer passes what its budget had left when the batch went.
   */
  private readMany(keys: string[], budgets: Array<ReadBudget | undefined>): Promise<RawRead[]> {
    const groups = new Map<ReadBudget, number>();
    const args: string[] = [];
    let unbudgeted = false;
    for (const budget of budgets) {
      // limits.cacheReadBytes: Infinity turns the budget off, and reads go as MGET again.
      if (!budget || budget.remaining === Infinity) {
        args.push('0');
        unbudgeted = true;
        continue;
      }
      let group = groups.get(budget);
      if (group === undefined) groups.set(budget, (group = groups.size + 1));
      args.push(String(group));
    }
    if (groups.size === 0) return this.client.mGet(keys);
    const left = [...groups.keys()].map((budget) => String(budget.remaining));
    // One app's reads alone (the common batch) need no budget per key: the script then takes the one for all.
    const each = groups.size === 1 && !unbudgeted ? [] : args;
    return this.scripts.run('read', keys, [String(this.largestValue), String(groups.size), ...left, ...each]) as Promise<RawRead[]>;
  }

  /** The client, for a command that is not batched: the batched commands waiting go first, to keep their order. */
  private direct(): RedisClient {
    this.batch.flush();
    return this.client;
  }

  /** Runs a script after the batched commands waiting, like direct(). */
  private script(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    this.batch.flush();
    return this.scripts.run(name, keys, args);
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

  /**
   * Runs `op` at once when Redis is ready, else once it is (or fails as ready() does). At once matters: every op
   * sends (or batches) its first command before it returns, so commands go out in the order the app made its calls.
   */
  private whenReady<T>(op: () => Promise<T>): Promise<T> {
    const waiting = this.ready();
    return waiting ? waiting.then(op) : op();
  }

  read(keys: string[], budget?: ReadBudget): Promise<Array<Entry | undefined>> {
    return this.whenReady(() => this.readNow(keys, budget));
  }

  private readNow(keys: string[], budget: ReadBudget | undefined): Promise<Array<Entry | undefined>> {
    const now = Date.now();
    const layered = this.bus.live;
    const full = keys.map((key) => this.full(key));
    const found: Array<Entry | undefined> = layered ? full.map((key) => this.layer.get(key, now)) : new Array<undefined>(keys.length);
    const missing = full.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return Promise.resolve(found);
    const mark = this.layer.mark();
    return this.batch.read(missing, budget).then((values) => {
      if (budget && values.includes(OVER_BUDGET)) throw budget.exceeded();
      let next = 0;
      for (let i = 0; i < found.length; i++) {
        if (found[i]) continue;
        const entry = parseEntry(values[next++] as string | null);
        if (!isLive(entry, now)) continue;
        found[i] = entry;
        if (layered) this.layer.keep(full[i]!, entry, mark, now);
      }
      return found;
    });
  }

  write(app: string, key: string, entry: Entry, options: WriteOptions = {}): Promise<boolean> {
    return this.put(app, key, entry, options.onlyIfEmpty ? 'nx' : 'set');
  }

  update(app: string, key: string, change: (entry: Entry) => Entry): Promise<boolean> {
    return this.whenReady(() => this.updateNow(app, key, change, CAS_TRIES));
  }

  /** One compare-and-set; tried again, while `tries` last, when a concurrent write got in between. */
  private async updateNow(app: string, key: string, change: (entry: Entry) => Entry, tries: number): Promise<boolean> {
    const raw = await this.direct().get(this.full(key));
    const current = parseEntry(raw);
    if (raw === null || !isLive(current)) return false;
    if (await this.put(app, key, change(current), 'cas', raw)) return true;
    if (tries <= 1) throw new Error(`${key} kept changing under concurrent writes`);
    return this.whenReady(() => this.updateNow(app, key, change, tries - 1));
  }

  private put(app: string, key: string, entry: Entry, mode: 'set' | 'nx' | 'cas', expected = ''): Promise<boolean> {
    return this.whenReady(() => this.putNow(app, key, entry, mode, expected));
  }

  /** Not async: a write that goes in a batch answers the batch's promise itself, with no extra turns. */
  private putNow(app: string, key: string, entry: Entry, mode: 'set' | 'nx' | 'cas', expected: string): Promise<boolean> {
    const full = this.full(key);
    const serialized = serializeEntry(entry);
    const ttl = remainingMs(entry);
    if (mode === 'set' && !entry.t && ttl === undefined) return this.batch.write(full, serialized);
    if (mode !== 'cas' && !entry.t) return this.setOne(full, serialized, ttl ?? 0, mode === 'nx');
    const tagSets = (entry.t ?? []).map((tag) => this.full(tagKey(app, tag)));
    return this.publishing(async (ticket) => {
      const message = `${ticket.prefix}${JSON.stringify([full])}`;
      const [stored, receivers] = (await this.script('write', [full, ...tagSets], [serialized, String(ttl ?? 0), mode, expected, ...this.notify(message)])) as [number, number];
      return { result: stored === 1, receivers, changed: stored === 1 ? [full] : [] };
    });
  }

  /** A turn's writes that never expire, as one MSET (redis-batch.ts); one alone goes as it would without the batch. */
  private writeMany(keys: string[], values: string[]): Promise<unknown> {
    if (keys.length === 1) return this.setOne(keys[0]!, values[0]!, 0, false);
    const pairs: string[] = [];
    for (let i = 0; i < keys.length; i++) pairs.push(keys[i]!, values[i]!);
    if (this.bus.alone) {
      return this.client.mSet(pairs).then(() => this.layer.drop(keys));
    }
    return this.publishing(async (ticket) => {
      const [, receivers] = await this.transaction(ticket, keys, (multi) => multi.mSet(pairs));
      return { result: true, receivers, changed: keys };
    });
  }

  /** One untagged write: a plain SET (NX for onlyIfEmpty) when nobody needs telling, else with its invalidation. */
  private setOne(full: string, serialized: string, ttlMs: number, onlyIfEmpty: boolean): Promise<boolean> {
    const options = ttlMs > 0 ? { PX: ttlMs } : undefined;
    const set = onlyIfEmpty ? { ...options, NX: true } : options;
    if (this.bus.alone) {
      // Nobody to tell: as atomic as the script and far cheaper.
      return this.direct().set(full, serialized, set).then((reply) => {
        if (reply === null) return false;
        this.layer.drop([full]);
        return true;
      });
    }
    // No tag set to join: the entry and its invalidation in one transaction, cheaper for Redis than a script.
    return this.publishing(async (ticket) => {
      const [reply, receivers] = await this.transaction(ticket, [full], (multi) => multi.set(full, serialized, set));
      return { result: reply !== null, receivers, changed: reply !== null ? [full] : [] };
    });
  }

  /**
   * Runs `command` and publishes the invalidation of `changed` in one MULTI. Answers the command's reply and, as the
   * scripts do, how many other nodes heard it (-1: none did; this node then ignores its own copy of the message).
   */
  private async transaction(ticket: Ticket, changed: string[], command: (multi: Multi) => Multi): Promise<[unknown, number]> {
    const listening = this.bus.live ? 1 : 0;
    const [reply, heard] = await command(this.direct().multi()).publish(this.bus.channel, `${ticket.prefix}${JSON.stringify(changed)}`).exec();
    return [reply, Number(heard) <= listening ? -1 : Number(heard)];
  }

  remove(_app: string, keys: string[]): Promise<boolean> {
    if (keys.length === 0) return Promise.resolve(false);
    return this.whenReady(() => this.removeNow(keys));
  }

  private async removeNow(keys: string[]): Promise<boolean> {
    const full = keys.map((key) => this.full(key));
    if (this.bus.alone) {
      const deleted = await this.direct().del(full);
      this.layer.drop(full);
      return deleted > 0;
    }
    return this.publishing(async (ticket) => {
      const [deleted, receivers] = await this.transaction(ticket, full, (multi) => multi.del(full));
      return { result: Number(deleted) > 0, receivers, changed: full };
    });
  }

  purgeTag(app: string, tag: string): Promise<string[]> {
    return this.whenReady(() => this.purgeNow(app, tag));
  }

  private purgeNow(app: string, tag: string): Promise<string[]> {
    // The script compares the tag with the stored JSON, where strings that start with ':' are escaped.
    const stored = escape(tag);
    return this.publishing(async (ticket) => {
      const [receivers, purged] = (await this.script('purge', [this.full(tagKey(app, tag))], [stored, ...this.notify(ticket.prefix)])) as [number, string[]];
      return { result: purged.map((full) => full.slice(this.prefix.length)), receivers, changed: purged };
    });
  }

  /** The scripts' trailing arguments: where to publish, whether this node itself listens there, and the message. */
  private notify(message: string): [string, string, string] {
    return [this.bus.channel, this.bus.live ? '1' : '0', message];
  }

  /** Runs a write that publishes, drops this node's copies, then waits until the other nodes dropped theirs (-1 receivers: nobody listens). */
  private async publishing<T>(run: (ticket: Ticket) => Promise<{ result: T; receivers: number; changed: string[] }>): Promise<T> {
    const ticket = this.bus.open();
    const era = this.bus.era;
    try {
      const { result, receivers, changed } = await run(ticket);
      if (receivers < 0) this.bus.heardAlone(era);
      // After the write landed, so a read that raced it cannot keep the old value (see LocalLayer.keep).
      this.layer.drop(changed);
      await this.bus.confirm(ticket, Math.max(0, receivers));
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

/**
 * An entry as keyv stores it (`{"value":…,"expires":…}`, strings that start with ':' escaped by another ':'), so keyv
 * reads what the backend writes. Written and parsed here: keyv's generic serializer and reviver cost more than the
 * rest of a cache op. Written by hand, not by JSON.stringify of a wrapper object: that took 1 µs of a 7 µs write
 * (`--cpu-prof`, sets with a TTL 32 at a time from an isolate), twice what the concatenation takes.
 */
function serializeEntry(entry: Entry): string {
  let json = `{"value":{"v":${JSON.stringify(escape(entry.v))}`;
  if (entry.b) json += ',"b":1';
  if (entry.t) json += `,"t":${JSON.stringify(entry.t.map(escape))}`;
  // An expiry is a finite number of milliseconds (checkTtl), which JSON writes as String() does.
  return entry.x === undefined ? `${json}}}` : `${json},"x":${entry.x}},"expires":${entry.x}}`;
}

/** The entry `serializeEntry` wrote, or undefined for anything else (no value, or not ours). */
function parseEntry(raw: string | null | undefined): Entry | undefined {
  if (!raw) return undefined;
  let entry: unknown;
  try {
    entry = (JSON.parse(raw) as { value?: unknown } | null)?.value;
  } catch {
    return undefined;
  }
  if (!isEntry(entry) || (entry.t !== undefined && !Array.isArray(entry.t))) return undefined;
  if (entry.v.startsWith(':')) entry.v = entry.v.slice(1);
  if (entry.t?.some((tag) => tag.startsWith(':'))) entry.t = entry.t.map((tag) => (tag.startsWith(':') ? tag.slice(1) : tag));
  return entry;
}

const escape = (text: string) => (text.startsWith(':') ? `:${text}` : text);
