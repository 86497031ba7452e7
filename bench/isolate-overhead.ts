// `npm run bench:isolate:overhead`: per-request host↔isolate overhead, p50: runtime.fetch of a trivial app in an
// isolate (inline and process mode) minus the same request answered by a host function through the same kernel path.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import ivm from 'isolated-vm';
import { createRuntime } from '../core/create-runtime.js';
import type { Executor } from '../core/executor.js';
import type { ExecutorOptions } from '../core/options.js';
import type { EdgeRuntime } from '../core/runtime.js';
import { summarize, table, tenantDeployment, tenantScripts, type Summary } from './isolate-tenants.js';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' } } });
const requests = Number(args.requests);
const rounds = Number(args.rounds);
const HELLO = 'Hello, world!';

/** Answers every Lambda of runtime `bench-host` from a host function: the kernel's path without an isolate. */
const hostExecutor: Executor = {
  runtime: 'bench-host',
  dispatch: async () => new Response(HELLO, { headers: { 'content-type': 'text/plain; charset=utf-8' } }),
  release: async () => undefined,
  close: async () => undefined,
};

async function timeRequests(runtime: EdgeRuntime, url: string): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await runtime.fetch(new Request(url));
    const text = await response.text();
    samples.push(performance.now() - started);
    if (text !== HELLO) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
  }
  return summarize(samples);
}

async function runtimeFor(executor: ExecutorOptions): Promise<EdgeRuntime> {
  const runtime = await createRuntime({ logger: { level: 'silent' }, executor });
  runtime.hooks.executor.tap('bench:host', (lambda) => (lambda.runtime === 'bench-host' ? hostExecutor : undefined));
  const script = await tenantScripts('hello');
  await runtime.activate(await tenantDeployment('isolate', script(0)));
  const host = await tenantDeployment('host', script(1));
  (host.output.index as { runtime: string }).runtime = 'bench-host';
  await runtime.activate(host);
  return runtime;
}

/** The floor under any dispatch: one async call into an isolate and back, isolated-vm alone. */
async function bridgeFloor(): Promise<Summary> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  const fn = (await context.eval('(async (head) => ({ status: 200, url: head.url }))', { reference: true })) as ivm.Reference;
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await fn.apply(undefined, [{ url: 'http://isolate.bench/', method: 'GET', headers: [['accept', '*/*']] }], { arguments: { copy: true }, result: { promise: true, copy: true } });
    samples.push(performance.now() - started);
  }
  isolate.dispose();
  return summarize(samples);
}

const rows = [['path', 'p50 ms', 'p90 ms', 'p99 ms', 'p50 overhead ms', 'overhead ÷ 0.1 ms goal']];
for (const mode of ['inline', 'process'] as const) {
  const runtime = await runtimeFor({ mode, spareIsolates: 0 });
  try {
    // Warm-up: isolate made, code compiled, JIT settled.
    await timeRequests(runtime, 'http://isolate.bench/');
    await timeRequests(runtime, 'http://host.bench/');
    const host: Summary[] = [];
    const isolate: Summary[] = [];
    for (let round = 0; round < rounds; round++) {
      host.push(await timeRequests(runtime, 'http://host.bench/'));
      isolate.push(await timeRequests(runtime, 'http://isolate.bench/'));
    }
    const median = (list: Summary[], key: keyof Summary) => list.map((s) => s[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    const overhead = median(isolate, 'p50') - median(host, 'p50');
    if (mode === 'inline') rows.push(['host function (same kernel path)', ...(['p50', 'p90', 'p99'] as const).map((k) => median(host, k).toFixed(3)), '—', '—']);
    rows.push([`isolate, ${mode} mode`, ...(['p50', 'p90', 'p99'] as const).map((k) => median(isolate, k).toFixed(3)), overhead.toFixed(3), `${(overhead / 0.1).toFixed(2)}×`]);
  } finally {
    await runtime.close();
  }
}
const floor = await bridgeFloor();
rows.push(['isolated-vm floor: one async apply', floor.p50.toFixed(3), floor.p90.toFixed(3), floor.p99.toFixed(3), floor.p50.toFixed(3), `${(floor.p50 / 0.1).toFixed(2)}×`]);
console.log(
  `\nper-request overhead, sequential runtime.fetch of GET / (a hello app, no body streaming); ${requests} requests × ${rounds} rounds, ` +
    `median round. Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model.trim()}, load average ${loadavg()[0]!.toFixed(2)}\n`,
);
console.log(table(rows));
