// `node --no-node-snapshot --conditions=hangar-source --import tsx bench/cache.ts`: tenant cache ops/s from inside an
// isolate on the memory and Redis stores, beside raw keyv (and node-redis under it, alone and from a bare isolate) on
// the same Redis in the same run, with Redis-via-Hangar ÷ raw.
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { createRuntime } from '../core/create-runtime.js';
import { createDeployment } from '../core/deployment.js';
import { FileBlob } from '../core/files/file-blob.js';
import { createLambda } from '../core/files/lambda.js';
import type { EdgeRuntime } from '../core/runtime.js';
import { CachePlugin, type CachePluginOptions } from '../plugins/cache/index.js';
import { IsolatePlugin } from '../plugins/isolate/index.js';
import { isolateFloor, type StoreCall } from './cache-floor.js';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: process.env.BENCH_OPS ?? '4000' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    batch: { type: 'string', default: process.env.BENCH_BATCH ?? '32' },
    redis: { type: 'string', default: process.env.BENCH_REDIS ?? 'redis://127.0.0.1:6379' },
  },
});
const OPS = Number(args.ops);
const ROUNDS = Number(args.rounds);
const BATCH = Number(args.batch);
const VALUE = 'v'.repeat(100);
/** The issue's goal: an op through Hangar takes at most this many times as long as through raw keyv on Redis. */
const GOAL = 1.5;

type Op = 'set' | 'get';
/** One measured run: `ops` operations of one kind, `concurrency` at a time; sets with a TTL in seconds when `ttl` is set. */
type Workload = { op: Op; concurrency: number; ttl?: number };
const WORKLOADS: Workload[] = [
  { op: 'set', concurrency: 1 },
  { op: 'get', concurrency: 1 },
  { op: 'set', concurrency: BATCH },
  // Writes with a TTL cannot share one Redis command (redis-batch.ts): each goes as its own SET.
  { op: 'set', concurrency: BATCH, ttl: 60 },
  { op: 'get', concurrency: BATCH },
];

/** The app: runs a workload against env.CACHE inside its isolate, so each op crosses the isolate boundary. */
const APP = `var __hangar_entry__ = (() => ({ default: {
  async fetch(request, env) {
    const url = new URL(request.url);
    const op = url.searchParams.get('op');
    const ops = Number(url.searchParams.get('ops'));
    const concurrency = Number(url.searchParams.get('concurrency'));
    const ttl = url.searchParams.has('ttl') ? Number(url.searchParams.get('ttl')) : undefined;
    const value = ${JSON.stringify(VALUE)};
    let hits = 0;
    for (let i = 0; i < ops; i += concurrency) {
      const batch = [];
      for (let j = i; j < Math.min(ops, i + concurrency); j++) {
        const key = 'k' + (j % 1000);
        batch.push(op === 'set' ? env.CACHE.set(key, value, ttl) : env.CACHE.getString(key));
      }
      for (const result of await Promise.all(batch)) if (result) hits++;
    }
    return new Response(String(hits));
  },
} }))();`;

interface Contender {
  name: string;
  /** Runs `ops` operations; answers how many succeeded (hits for get, stored for set). */
  run(workload: Workload): Promise<number>;
  close(): Promise<void>;
}

async function hangar(name: string, store: string, options: CachePluginOptions = {}): Promise<Contender> {
  const runtime: EdgeRuntime = await createRuntime({
    defaultPlugins: false,
    plugins: [new CachePlugin(options), new IsolatePlugin()],
    stores: { cache: store },
    limits: { wallMs: 120_000, cpuMs: 120_000 },
    logger: { level: 'warn' },
  });
  const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: APP }) }, handler: 'index.js', runtime: 'edge' });
  await runtime.activate(createDeployment({ app: 'bench', hostnames: ['bench.localhost'], output: { index: lambda }, routes: [{ handle: 'filesystem' }, { src: '/.*', dest: '/index' }], env: {} }));
  return {
    name,
    async run({ op, concurrency, ttl }) {
      const response = await runtime.fetch(new Request(`http://bench.localhost/?op=${op}&ops=${OPS}&concurrency=${concurrency}${ttl ? `&ttl=${ttl}` : ''}`));
      if (response.status !== 200) throw new Error(`${name}: ${response.status} ${await response.text()}`);
      return Number(await response.text());
    },
    close: () => runtime.close(),
  };
}

/** The same tenant cache called from Node, without the isolate: what Hangar's cache itself adds to the store. */
async function hangarHost(name: string, store: string): Promise<Contender> {
  const plugin = new CachePlugin();
  const runtime = await createRuntime({ defaultPlugins: false, plugins: [plugin], stores: { cache: store }, logger: { level: 'warn' } });
  const cache = plugin.tenantCache('bench');
  return {
    name,
    run: (workload) => loop(workload, (key) => (workload.op === 'set' ? cache.set(key, VALUE, workload.ttl) : cache.getString(key))),
    close: () => runtime.close(),
  };
}

/** Runs OPS calls of `call`, `concurrency` at a time over 1000 keys; answers how many gave a truthy result. */
async function loop({ concurrency }: Workload, call: (key: string) => Promise<unknown>): Promise<number> {
  let ok = 0;
  for (let i = 0; i < OPS; i += concurrency) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(OPS, i + concurrency); j++) batch.push(call(`k${j % 1000}`));
    for (const result of await Promise.all(batch)) if (result) ok++;
  }
  return ok;
}

async function rawKeyv(url: string, prefix: string): Promise<Contender> {
  const store = new Keyv(new KeyvRedis(url), { namespace: `${prefix}raw`, useKeyPrefix: false });
  return {
    name: 'raw keyv on Redis',
    run: (workload) => loop(workload, (key) => (workload.op === 'set' ? store.set(key, VALUE, workload.ttl && workload.ttl * 1000) : store.get(key))),
    close: () => store.disconnect(),
  };
}

/** A plain node-redis client: the one under keyv, with nothing on top. */
const openBare = (url: string) => createClient({ url });
type BareClient = ReturnType<typeof openBare>;

const BARE = 'node-redis alone';
const FLOOR = 'isolate floor';

/**
 * The client under keyv, alone: one op in keyv's own entry format, written and read with node-redis and nothing else,
 * on keys under `prefix`. The floor for any cache on this client.
 */
function bareCall(client: BareClient, prefix: string): StoreCall {
  const entry = JSON.stringify({ value: VALUE, expires: null });
  return (op, name, ttl) => {
    const key = `${prefix}${name}`;
    if (op === 'get') return client.get(key);
    if (!ttl) return client.set(key, entry);
    const ms = ttl * 1000;
    return client.set(key, JSON.stringify({ value: VALUE, expires: Date.now() + ms }), { PX: ms });
  };
}

/** node-redis alone, called from Node, so the table shows what keyv itself adds and how much of it Hangar's cache takes back. */
function nodeRedis(client: BareClient, prefix: string): Contender {
  const call = bareCall(client, `${prefix}bare:`);
  return {
    name: BARE,
    run: (workload) => loop(workload, (name) => call(workload.op, name, workload.ttl ?? 0)),
    close: async () => undefined,
  };
}

/** node-redis alone called from a bare isolate through the least bridge (cache-floor.ts): what the boundary itself costs. */
function floor(client: BareClient, prefix: string): Contender {
  const bridged = isolateFloor(bareCall(client, `${prefix}floor:`), OPS, VALUE);
  return {
    name: FLOOR,
    run: ({ op, concurrency, ttl }) => bridged.run(op, concurrency, ttl),
    close: async () => bridged.close(),
  };
}

async function time(contender: Contender, workload: Workload): Promise<number> {
  const started = performance.now();
  const ok = await contender.run(workload);
  const seconds = (performance.now() - started) / 1000;
  if (ok !== OPS) throw new Error(`${contender.name}: only ${ok} of ${OPS} ${workload.op}s succeeded`);
  return OPS / seconds;
}

const label = ({ op, concurrency, ttl }: Workload) => `${op}${ttl ? ` with a ${ttl} s TTL` : ''}, ${concurrency === 1 ? 'one at a time' : `${concurrency} at a time`}`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const prefix = `hangar-bench:${randomUUID()}:`;
  // Each contender has its own keys, so none waits for another to confirm its writes.
  const redis = (name: string) => `${args.redis}?prefix=${encodeURIComponent(`${prefix}${name}:`)}`;
  // node-redis alone, from Node and from the bare isolate: the two never run at once, so they share a connection.
  const bare = openBare(args.redis);
  await bare.connect();
  const contenders = [
    await hangar('isolate + memory', 'memory:'),
    await hangar('isolate + Redis, no layer', redis('direct'), { layer: { maxBytes: 0 } }),
    await hangarHost('Node + Redis (no isolate)', redis('host')),
    // Next to raw keyv whichever way a round runs, so the headline ratio compares two runs back to back.
    await hangar('isolate + Redis', redis('layer')),
    await rawKeyv(args.redis, prefix),
    nodeRedis(bare, prefix),
    floor(bare, prefix),
  ];
  const figures = new Map<string, number[]>();
  try {
    // Warm-up: JIT, connections, scripts loaded, keys present for the gets.
    for (const contender of contenders) for (const workload of WORKLOADS) await time(contender, workload);
    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of WORKLOADS) {
        // Alternating the order each round spreads other load on the machine over every contender.
        for (const contender of round % 2 ? [...contenders].reverse() : contenders) {
          const key = `${contender.name}|${label(workload)}`;
          figures.set(key, [...(figures.get(key) ?? []), await time(contender, workload)]);
        }
      }
    }
  } finally {
    await Promise.all(contenders.map((contender) => contender.close()));
    await cleanUp(bare, prefix);
    await bare.close();
  }

  const series = (name: string, workload: Workload) => figures.get(`${name}|${label(workload)}`)!;
  const rate = (name: string, workload: Workload) => median(series(name, workload));
  const raw = contenders[4]!.name;
  console.log(`\ncache ops/s, ${OPS} ops per run, median of ${ROUNDS} rounds; 100-byte values over 1000 keys; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}\n`);
  table(
    ['workload', ...contenders.map((c) => c.name)],
    WORKLOADS.map((workload) => [label(workload), ...contenders.map((c) => Math.round(rate(c.name, workload)).toLocaleString('en-US'))]),
  );
  // Time per op through `name` ÷ time per op through `base` = base ops/s ÷ `name` ops/s, taken round by round: the
  // two ran minutes apart at most, so a slower spell of the machine weighs on both sides of each ratio.
  const ratio = (name: string, workload: Workload, base = raw) => {
    const bases = series(base, workload);
    const ratios = series(name, workload).map((rate, round) => bases[round]! / rate);
    const value = median(ratios);
    const spread = ROUNDS > 1 ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '';
    // The goal is Hangar's over raw keyv; the bare client and the floor are there for reference.
    const verdict = base !== raw || name === BARE || name === FLOOR ? '' : value <= GOAL ? ' ok' : ' over';
    return `${value.toFixed(2)}×${spread}${verdict}`;
  };
  console.log(`\nTime per op through Hangar ÷ time per op through raw keyv on the same Redis, the median of the rounds' ratios`);
  console.log(`(lowest–highest round in brackets; goal: ≤ ${GOAL.toFixed(2)}×):\n`);
  const compared = ['isolate + Redis', 'isolate + Redis, no layer', 'Node + Redis (no isolate)', BARE, FLOOR];
  table(
    ['workload', ...compared],
    WORKLOADS.map((workload) => [label(workload), ...compared.map((name) => ratio(name, workload))]),
  );
  console.log('\nNode + Redis is what the cache itself adds; isolate + Redis adds the isolate boundary on top. node-redis alone is');
  console.log('the client under keyv with nothing on top: the floor for any cache on it. The isolate floor is node-redis alone');
  console.log('called from a bare isolate through the least bridge (bench/cache-floor.ts): the floor for any cache inside an isolate.');
  console.log('The memory column is the isolate boundary with an (almost) free store behind it: no Redis op from an isolate beats it.');

  // Without the layer every op goes to Redis, as in the floor: what Hangar's cache and bridge add beyond the boundary.
  console.log(`\nTime per op through Hangar from an isolate ÷ time per op through the isolate floor, medians of the rounds:\n`);
  const overFloor = ['isolate + Redis, no layer', 'isolate + Redis'];
  table(
    ['workload', ...overFloor],
    WORKLOADS.map((workload) => [label(workload), ...overFloor.map((name) => ratio(name, workload, FLOOR))]),
  );
}

/** Prints rows in columns, the first left-aligned and the rest right-aligned. */
function table(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

async function cleanUp(client: BareClient, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await client.del(keys);
}

await main();
