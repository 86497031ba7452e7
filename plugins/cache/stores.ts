// Opens keyv stores from store URLs: `memory:`, `sqlite://path` (embedded, persistent) and `redis://host:port` (shared).
import { mkdirSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import KeyvRedis, { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import type { Logger } from 'pino';
import { ErrorCode, HangarError } from '../../core/errors.js';
import { FailureLog } from './failure-log.js';

/** The Redis client behind a redis:// store. */
export type RedisClient = ReturnType<typeof createClient>;

/** Key prefix of every Redis key Hangar writes, unless the URL's `prefix` parameter says otherwise. */
const DEFAULT_REDIS_PREFIX = 'hangar:';

/** Each opened store's failure log, shared by its error events and the cache services that call it. */
const failureLogs = new WeakMap<Keyv, FailureLog>();

export function failureLogOf(store: Keyv, logger: Logger): FailureLog {
  let log = failureLogs.get(store);
  if (!log) failureLogs.set(store, (log = new FailureLog(logger, 'cache store')));
  return log;
}

/** Opens the store for `namespace` at `url`, or undefined when the URL is not one of ours. */
export function openStore(namespace: string, url: string, logger: Logger): Keyv | undefined {
  const scheme = url.slice(0, url.indexOf(':') + 1);
  let store: Keyv;
  let label: string;
  switch (scheme) {
    case 'memory:':
      store = new Keyv({ namespace });
      label = `memory store (${namespace})`;
      break;
    case 'sqlite:':
      ({ store, label } = openSqlite(namespace, url));
      break;
    case 'redis:':
    case 'rediss:':
      ({ store, label } = openRedis(namespace, url));
      break;
    default:
      return undefined;
  }
  const failures = new FailureLog(logger, label);
  failureLogs.set(store, failures);
  // keyv reports store failures as events and answers them as misses; an unlistened event would be lost.
  store.on('error', (error: unknown) => failures.failed(error, 'a store call'));
  return store;
}

function openSqlite(namespace: string, url: string): { store: Keyv; label: string } {
  const path = url.slice('sqlite://'.length);
  if (!path) throw new HangarError(ErrorCode.CONFIG_INVALID, `the store URL ${url} names no file; write sqlite://path/to/cache.db`);
  const file = path === ':memory:' ? path : resolvePath(path);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  // Pages of 1000 rows keep the start-up scan of a large file (see LocalIndex) from crawling 10 rows at a time.
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, table: 'hangar', busyTimeout: 5_000, iterationLimit: 1_000 } as ConstructorParameters<typeof KeyvSqlite>[0]);
  // WAL lets the namespaces' connections to one file read while another writes.
  void adapter.query('PRAGMA journal_mode=WAL').catch(() => undefined);
  return { store: new Keyv({ store: adapter, namespace }), label: `sqlite store ${file} (${namespace})` };
}

function openRedis(namespace: string, url: string): { store: Keyv; label: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HangarError(ErrorCode.CONFIG_INVALID, `the store URL ${url} is not a valid URL; write redis://host:port`);
  }
  const prefix = parsed.searchParams.get('prefix') ?? DEFAULT_REDIS_PREFIX;
  parsed.searchParams.delete('prefix');
  const client = createClient({
    url: parsed.toString(),
    // Without a queue, calls fail at once while Redis is away (the cache answers a miss) instead of piling up.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000) },
  });
  // Connecting now, in the background, keeps the first request from waiting for it; a failure only logs (via keyv).
  client.connect().catch(() => undefined);
  const adapter = new KeyvRedis(client, { throwOnConnectError: false });
  const store = new Keyv(adapter, { namespace: `${prefix}${namespace}`, useKeyPrefix: false });
  client.on('ready', () => failureLogs.get(store)?.succeeded());
  parsed.password = '';
  return { store, label: `redis store ${parsed.host} (${prefix}${namespace})` };
}

/** The Redis client behind a store opened by `openStore`, or undefined for other stores. */
export function redisClientOf(store: Keyv): RedisClient | undefined {
  return store.store instanceof KeyvRedis ? (store.store.client as RedisClient) : undefined;
}

/**
 * Drops a Redis connection that is down, so that closing the runtime does not wait on it (a polite QUIT waits for
 * Redis to come back). Connected stores are left to the runtime, which disconnects every store it opened.
 */
export function dropIfDown(store: Keyv): void {
  const client = redisClientOf(store);
  if (client?.isOpen && !client.isReady) client.destroy();
}
