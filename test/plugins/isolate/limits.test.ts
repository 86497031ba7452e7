import test from 'ava';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';
import { countingApp as app, errorOf, json, text } from './runaway-apps.js';

// The tests that burn CPU run one at a time, so they do not take each other's cores.

test.serial('a request over its CPU time answers 503 naming the limit, long before its wall time, and its isolate is replaced', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 100, wallMs: 10_000 } });
  const base = await deployScript(runtime, 'spinner', app(`if (path === '/spin') while (true);`));
  t.is(await text(runtime, base), '1');
  const started = performance.now();
  const response = await runtime.fetch(new Request(`${base}/spin`, json));
  const elapsed = performance.now() - started;
  t.is(response.status, 503);
  const error = await errorOf(response);
  t.is(error.code, 'E_LIMIT_CPU_TIME');
  t.regex(error.message, /CPU-time limit of 100 ms/);
  t.like(error.details, { limitMs: 100 });
  t.true(elapsed < 2_000, `answered after ${Math.round(elapsed)} ms`);
  t.is(await text(runtime, base), '1');
});

test.serial('what an app logged before it ran away reaches the log, with its request id', async (t) => {
  // Promoted after one quick request: its entries then run on the host's main thread, where a runaway is stopped at
  // the CPU limit; a banished app's run on the isolate's own thread, where the CPU meter disposes of the isolate.
  const runtime = isolateRuntime(t, { limits: { cpuMs: 100, wallMs: 10_000 }, executor: { sameThread: { promoteAfter: 1, slowBudgetMs: 1_000 } } });
  const lines: { message: string; requestId?: string }[] = [];
  runtime.hooks.log.tap('test', (record) => void (record.app === 'confessor' && lines.push({ message: record.message, requestId: record.requestId })));
  const base = await deployScript(runtime, 'confessor', app(`if (path === '/spin') { console.log('about to spin'); while (true); }`));
  for (const thread of ['main', 'isolate']) {
    // Quick requests until one of them is quick enough to promote the app (a first request compiles code).
    for (let i = 0; i < 20; i++) t.is(await text(runtime, base), String(i + 1));
    const response = await runtime.fetch(new Request(`${base}/spin`, json));
    t.is(response.status, 503);
    const requestId = response.headers.get('x-request-id')!;
    t.deepEqual(lines.find((line) => line.requestId === requestId), { message: 'about to spin', requestId }, `on the ${thread} thread`);
  }
});

test.serial('CPU burnt after awaits, in microtasks or in timers, is charged to the request', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 300, wallMs: 10_000 } });
  const base = await deployScript(
    runtime,
    'sneaky',
    app(`
      if (path === '/microtasks') for (let i = 0; i < 100; i++) { burn(10); await null; }
      if (path === '/timers') for (let i = 0; i < 100; i++) { burn(10); await new Promise((resolve) => setTimeout(resolve, 1)); }
      if (path === '/light') for (let i = 0; i < 5; i++) { burn(10); await new Promise((resolve) => setTimeout(resolve, 1)); }
    `),
  );
  for (const path of ['/microtasks', '/timers']) {
    const response = await runtime.fetch(new Request(`${base}${path}`, json));
    t.is(response.status, 503, path);
    t.is((await errorOf(response)).code, 'E_LIMIT_CPU_TIME', path);
  }
  // 50 ms spread over timers stays within 300 ms (a wide margin: cpuTime reads run high on a crowded machine).
  t.is((await runtime.fetch(new Request(`${base}/light`))).status, 200);
});

test.serial('concurrent requests in one isolate are each charged their share of its CPU, not all of it', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 200, wallMs: 10_000, isolatesPerApp: 1 } });
  // The eight requests wait for each other, then each burns 40 ms in 10 ms slices, interleaved with the others: the
  // isolate burns 320 ms while they are in flight, more than one request's 200 ms, and each is charged about 40.
  const base = await deployScript(
    runtime,
    'shared',
    app(`if (path === '/work') {
      globalThis.barrier ??= Promise.withResolvers ? Promise.withResolvers() : (() => { let resolve; const promise = new Promise((r) => (resolve = r)); return { promise, resolve }; })();
      globalThis.arrived = (globalThis.arrived ?? 0) + 1;
      if (globalThis.arrived === 8) globalThis.barrier.resolve();
      await globalThis.barrier.promise;
      for (let i = 0; i < 4; i++) { burn(10); await new Promise((resolve) => setTimeout(resolve, 2)); }
    }`),
  );
  t.is(await text(runtime, base), '1');
  const responses = await Promise.all(Array.from({ length: 8 }, () => runtime.fetch(new Request(`${base}/work`, json))));
  t.deepEqual(
    responses.map((response) => response.status),
    Array.from({ length: 8 }, () => 200),
  );
  // Alone, a request that burns 320 ms is over its 200.
  const alone = await deployScript(runtime, 'alone', app(`if (path === '/work') for (let i = 0; i < 32; i++) { burn(10); await new Promise((resolve) => setTimeout(resolve, 2)); }`));
  t.is((await runtime.fetch(new Request(`${alone}/work`))).status, 503);
});

test.serial('a promise that never settles answers 504 within the wall time, naming the limit', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 250 } });
  const base = await deployScript(runtime, 'hanger', app(`if (path === '/hang') await new Promise(() => {});`));
  t.is(await text(runtime, base), '1');
  const started = performance.now();
  const response = await runtime.fetch(new Request(`${base}/hang`, json));
  const elapsed = performance.now() - started;
  t.is(response.status, 504);
  const error = await errorOf(response);
  t.is(error.code, 'E_LIMIT_WALL_TIME');
  t.regex(error.message, /wall-time limit of 250 ms/);
  t.true(elapsed >= 240 && elapsed < 1_500, `answered after ${Math.round(elapsed)} ms`);
  // An isolate that merely waited is kept.
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(await text(runtime, base), '3');
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Requests `url` one after another, at least `count` times and for at least `minMs`. */
async function latencies(runtime: EdgeRuntime, url: string, count: number, minMs = 0): Promise<{ p50: number; p99: number; statuses: Set<number> }> {
  const times: number[] = [];
  const statuses = new Set<number>();
  const until = performance.now() + minMs;
  for (let i = 0; i < count || performance.now() < until; i++) {
    // Each request arrives from I/O in a server; without this turn, a neighbour answered on the main thread
    // (same-thread entries) would settle in microtasks alone and starve the event loop the runaways need.
    await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    const response = await runtime.fetch(new Request(url));
    await response.arrayBuffer();
    times.push(performance.now() - started);
    statuses.add(response.status);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), statuses };
}

test.serial('a neighbour keeps answering quickly while another tenant spins and blows up its memory', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 1_000, wallMs: 5_000, memoryMb: 64 } });
  const neighbour = await deployScript(runtime, 'neighbour', moduleScript(`{ fetch() { return new Response('hello'); } }`));
  const spinner = await deployScript(runtime, 'spinner', app(`while (true);`));
  const hog = await deployScript(runtime, 'hog', app(`const all = []; while (true) all.push(new Array(1e5).fill(path));`));
  await latencies(runtime, neighbour, 20);
  const quiet = await latencies(runtime, neighbour, 200);

  let running = true;
  const outcomes: number[] = [];
  const attack = async (url: string) => {
    while (running) outcomes.push((await runtime.fetch(new Request(url))).status);
  };
  const attackers = [attack(spinner), attack(hog)];
  // Give the runaways time to get going.
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The spinner takes its 1 s of CPU to be stopped, and is sent again: measured over that second, it is always running.
  const loud = await latencies(runtime, neighbour, 200, 1_500);
  const attacked = outcomes.length;
  running = false;
  await Promise.all(attackers);

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  t.log(`neighbour alone: p50 ${ms(quiet.p50)}, p99 ${ms(quiet.p99)}; beside a runaway: p50 ${ms(loud.p50)}, p99 ${ms(loud.p99)}`);
  t.log(`runaway requests answered: ${outcomes.join(', ')}`);
  t.deepEqual([...loud.statuses], [200]);
  t.true(attacked >= 1, 'a runaway was stopped while the neighbour was measured');
  t.true(outcomes.every((status) => status >= 500), 'the runaways were stopped with 5xx');
  // Far below the runaway's own CPU (1 s) and wall (5 s) limits: the neighbour never waited for it.
  t.true(loud.p99 < 300, `neighbour p99 ${ms(loud.p99)} beside the runaway`);
});
