// Test helpers for the cache plugin: a runtime per store URL, the three stores as fixtures, and Redis clean-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from '@keyv/redis';
import type { ExecutionContext } from 'ava';
import { pino } from 'pino';
import { EdgeRuntime } from '../../../core/runtime.js';
import type { Limits } from '../../../core/options.js';
import { CachePlugin, type CachePluginOptions } from '../../../plugins/cache/index.js';
import type { TenantCache } from '../../../plugins/cache/tenant-cache.js';

export const SHARED_REDIS = 'redis://127.0.0.1:6379';

/** A store the shared cases run against: `url` gives a fresh, empty store for one test. */
export interface StoreFixture {
  name: 'memory' | 'sqlite' | 'redis';
  url(t: ExecutionContext): Promise<string>;
}

/** A Redis URL whose keys all start with a prefix unique to this test; the keys are deleted when the test ends. */
export function redisUrl(t: ExecutionContext, base = SHARED_REDIS): string {
  const prefix = `hangar-test:${randomUUID()}:`;
  t.teardown(() => deleteRedisKeys(base, prefix));
  return `${base}?prefix=${encodeURIComponent(prefix)}`;
}

export async function deleteRedisKeys(base: string, prefix: string): Promise<void> {
  const client = createClient({ url: base });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await client.del(keys);
  } finally {
    await client.close();
  }
}

export async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const STORES: StoreFixture[] = [
  { name: 'memory', url: async () => 'memory:' },
  { name: 'sqlite', url: async (t) => `sqlite://${join(await tempDir(t), 'cache.db')}` },
  { name: 'redis', url: async (t) => redisUrl(t) },
];

/** Log lines a runtime wrote, parsed. */
export interface LogLines {
  lines: Array<{ level: number; msg: string; [key: string]: unknown }>;
}

export interface CacheRuntime {
  runtime: EdgeRuntime;
  plugin: CachePlugin;
  logs: LogLines;
}

/** A runtime whose `cache` store is `url`, with only the cache plugin, closed when the test ends. */
export function cacheRuntime(t: ExecutionContext, url: string, options: { limits?: Partial<Limits>; plugin?: CachePluginOptions } = {}): CacheRuntime {
  const logs: LogLines = { lines: [] };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.lines.push(JSON.parse(line) as LogLines['lines'][number]);
      done();
    },
  });
  const runtime = new EdgeRuntime({ logger: pino({ level: 'info' }, sink), stores: { cache: url }, limits: options.limits });
  const plugin = new CachePlugin(options.plugin);
  runtime.use(plugin);
  t.teardown(() => runtime.close());
  return { runtime, plugin, logs };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds or `ms` pass; answers whether it held. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await sleep(25);
  }
}

/**
 * Whether `cache` could write once connected. On a loaded machine connecting can outlast the start-up wait, after
 * which a write answers false at once, so the first write is tried until one lands.
 */
export function connected(cache: TenantCache): Promise<boolean> {
  return eventually(() => cache.set('warm', 'up'));
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A private redis-server (never the shared one) that a test may stop and start again; stopped when the test ends. */
export class OwnRedis {
  private process?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(t: ExecutionContext): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    t.teardown(() => redis.stop());
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (empty: it keeps nothing on disk) and waits until it accepts connections. */
  async resume(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const ready = await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(this.port, '127.0.0.1', () => {
            socket.end();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        }),
    );
    if (!ready) throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Kills the server at once, as a crash would. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
