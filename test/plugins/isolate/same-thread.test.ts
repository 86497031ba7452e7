import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import type { LogRecord } from '../../../core/context.js';
import type { RuntimeOptions } from '../../../core/options.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { IsolatePlugin } from '../../../plugins/isolate/index.js';
import { quietRuntime } from '../../helpers/kernel.js';
import { deployScript, moduleScript } from './helpers.js';
import { countingApp, errorOf, json, text } from './runaway-apps.js';

// The tests that burn CPU run one at a time, so they do not take each other's cores.

/** promoteAfter in these tests: small, so a test promotes an isolate in a few requests. */
const PROMOTE_AFTER = 4;

/**
 * A runtime whose isolates are promoted after PROMOTE_AFTER quick entries, with a wide slow budget: the first use of
 * a platform part compiles code, and a busy machine makes slow entries, so only the tests about demotion narrow it.
 */
function runtimeWith(t: ExecutionContext, options: RuntimeOptions = {}): { runtime: EdgeRuntime; plugin: IsolatePlugin } {
  const plugin = new IsolatePlugin();
  const runtime = quietRuntime({ executor: { sameThread: { promoteAfter: PROMOTE_AFTER, slowBudgetMs: 1_000 } }, ...options }).use(plugin);
  t.teardown(() => runtime.close());
  return { runtime, plugin };
}

/** The same-thread state of the app's isolate (each test app has one). */
async function mode(plugin: IsolatePlugin, app: string): Promise<{ sameThread: boolean; demotions: number }> {
  const found = (await plugin.stats()).filter((isolate) => isolate.app === app);
  if (found.length !== 1) throw new Error(`app ${app} has ${found.length} isolates`);
  return { sameThread: found[0]!.sameThread, demotions: found[0]!.demotions };
}

/** Sends `count` requests one after the other, each answering `expected`. */
async function warm(t: ExecutionContext, runtime: EdgeRuntime, url: string, count: number, expected?: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await runtime.fetch(new Request(url));
    const body = await response.text();
    t.is(response.status, 200, body);
    if (expected !== undefined) t.is(body, expected);
  }
}

/**
 * Sends requests until the app's isolate is promoted, and says how many it took (at most `cap`: a request that
 * happened to be slow, compiling or on a busy machine, starts the run again).
 */
async function promote(t: ExecutionContext, runtime: EdgeRuntime, plugin: IsolatePlugin, url: string, app: string, cap = 60): Promise<number> {
  for (let sent = 1; sent <= cap; sent++) {
    await warm(t, runtime, url, 1);
    if ((await mode(plugin, app)).sameThread) return sent;
  }
  throw new Error(`app ${app} was not promoted after ${cap} requests`);
}

function logs(runtime: EdgeRuntime): LogRecord[] {
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  return records;
}

const ECHO = moduleScript(`{
  async fetch(request) {
    const url = new URL(request.url);
    return new Response(request.method + ' ' + url.pathname + ' ' + (request.body ? await request.text() : ''), { headers: { 'x-q': url.searchParams.get('q') ?? '' } });
  },
}`);

test.serial('an isolate is promoted after quick entries in a row, and answers the same in both modes', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  const base = await deployScript(runtime, 'echo', ECHO);
  // Each request is one entry (its dispatch); the drain after it runs no guest code and is not counted.
  await warm(t, runtime, `${base}/a`, PROMOTE_AFTER - 1, 'GET /a ');
  t.false((await mode(plugin, 'echo')).sameThread);
  await promote(t, runtime, plugin, `${base}/a`, 'echo');
  const response = await runtime.fetch(new Request(`${base}/b?q=1`, { method: 'POST', body: 'hello' }));
  t.is(response.headers.get('x-q'), '1');
  t.is(await response.text(), 'POST /b hello');
  // Concurrent requests in sync mode each get their own answer (a slow one on a busy machine may demote it midway).
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => runtime.fetch(new Request(`${base}/${i}`)).then((r) => r.text())));
  t.deepEqual(
    answers,
    Array.from({ length: 20 }, (_, i) => `GET /${i} `),
  );
});

test.serial('with sameThread: false an isolate is never promoted, and answers the same', async (t) => {
  const { runtime, plugin } = runtimeWith(t, { executor: { sameThread: false } });
  const base = await deployScript(runtime, 'echo', ECHO);
  await warm(t, runtime, `${base}/a`, 40, 'GET /a ');
  t.false((await mode(plugin, 'echo')).sameThread);
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => runtime.fetch(new Request(`${base}/${i}`, { method: 'POST', body: String(i) })).then((r) => r.text())));
  t.deepEqual(
    answers,
    Array.from({ length: 10 }, (_, i) => `POST /${i} ${i}`),
  );
});

test.serial('a slow entry demotes the isolate, and coming back takes twice as many quick entries', async (t) => {
  const { runtime, plugin } = runtimeWith(t, { limits: { cpuMs: 500, wallMs: 10_000 }, executor: { sameThread: { promoteAfter: PROMOTE_AFTER, slowBudgetMs: 0 } } });
  const base = await deployScript(runtime, 'slow', countingApp(`if (path === '/slow') burn(30);`));
  await promote(t, runtime, plugin, base, 'slow');
  // 30 ms of CPU in one entry, on the main thread: the request is answered, and the isolate goes back to its own.
  t.is((await runtime.fetch(new Request(`${base}/slow`))).status, 200);
  t.deepEqual(await mode(plugin, 'slow'), { sameThread: false, demotions: 1 });
  // Coming back takes twice the run.
  await warm(t, runtime, base, 2 * PROMOTE_AFTER - 1);
  t.false((await mode(plugin, 'slow')).sameThread);
  t.true((await promote(t, runtime, plugin, base, 'slow')) >= 1);
  t.is((await runtime.fetch(new Request(`${base}/slow`))).status, 200);
  t.deepEqual(await mode(plugin, 'slow'), { sameThread: false, demotions: 2 });
  await warm(t, runtime, base, 4 * PROMOTE_AFTER - 1);
  t.false((await mode(plugin, 'slow')).sameThread);
});

test.serial('slow entries within the slow budget keep the isolate promoted; overdrawing it demotes', async (t) => {
  const { runtime, plugin } = runtimeWith(t, { limits: { cpuMs: 500, wallMs: 10_000 }, executor: { sameThread: { promoteAfter: PROMOTE_AFTER, slowBudgetMs: 50, slowShare: 0 } } });
  const base = await deployScript(runtime, 'budget', countingApp(`if (path === '/slow') burn(20);`));
  await promote(t, runtime, plugin, base, 'budget');
  t.is((await runtime.fetch(new Request(`${base}/slow`))).status, 200);
  t.is((await runtime.fetch(new Request(`${base}/slow`))).status, 200);
  t.deepEqual(await mode(plugin, 'budget'), { sameThread: true, demotions: 0 });
  // 60 ms of the 50 drawn, and no refill: demoted.
  t.is((await runtime.fetch(new Request(`${base}/slow`))).status, 200);
  t.deepEqual(await mode(plugin, 'budget'), { sameThread: false, demotions: 1 });
});

test.serial('an app that spins after promotion answers 503 at its CPU limit, and a neighbour keeps answering', async (t) => {
  const { runtime, plugin } = runtimeWith(t, { limits: { cpuMs: 100, wallMs: 10_000 } });
  const spinner = await deployScript(runtime, 'spinner', countingApp(`if (path === '/spin') while (true);`));
  const neighbour = await deployScript(runtime, 'neighbour', countingApp(''));
  const served = await promote(t, runtime, plugin, spinner, 'spinner');
  const neighbourServed = await promote(t, runtime, plugin, neighbour, 'neighbour');
  t.true(served >= PROMOTE_AFTER);
  const started = performance.now();
  const [spun, ...others] = await Promise.all([
    runtime.fetch(new Request(`${spinner}/spin`, json)),
    ...Array.from({ length: 5 }, () => runtime.fetch(new Request(neighbour))),
  ]);
  const elapsed = performance.now() - started;
  t.is(spun!.status, 503);
  const error = await errorOf(spun!);
  t.is(error.code, 'E_LIMIT_CPU_TIME');
  t.regex(error.message, /CPU-time limit of 100 ms/);
  t.true(elapsed < 2_000, `answered after ${Math.round(elapsed)} ms`);
  t.deepEqual(await Promise.all(others.map((r) => r.status)), [200, 200, 200, 200, 200]);
  // The spinner's isolate was replaced (its count restarts); the neighbour's was not.
  t.is(await text(runtime, spinner), '1');
  t.is(await text(runtime, neighbour), String(neighbourServed + 5 + 1));
});

test.serial('host calls in sync mode: an env binding, fetch() to an allowed loopback server, a request body, crypto and compression', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => res.end(`upstream ${req.method} ${Buffer.concat(chunks).toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  runtime.hooks.bindings.tapPromise('test:echo', async (bindings) => [...bindings, { name: 'ECHO', methods: { echo: async (...args: unknown[]) => args } }]);
  const base = await deployScript(
    runtime,
    'caller',
    moduleScript(`{
      async fetch(request, env) {
        const path = new URL(request.url).pathname;
        if (path === '/quick') return new Response('quick');
        const body = await request.text();
        const echoed = await env.ECHO.echo(body, { n: 1 });
        const upstream = await (await fetch('http://127.0.0.1:${port}/up', { method: 'POST', body: 'sent ' + body })).text();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)));
        const gzipped = new Response(new Blob([body]).stream().pipeThrough(new CompressionStream('gzip')));
        const roundTrip = await new Response(gzipped.body.pipeThrough(new DecompressionStream('gzip'))).text();
        const random = crypto.getRandomValues(new Uint8Array(8)).length;
        return Response.json({ echoed, upstream, digest: digest.length, first: digest[0], roundTrip, random });
      },
    }`),
    { fetch: { allow: ['127.0.0.1'] } },
  );
  await promote(t, runtime, plugin, `${base}/quick`, 'caller');
  for (let i = 0; i < 3; i++) {
    const response = await runtime.fetch(new Request(`${base}/call`, { method: 'POST', body: `hi ${i}` }));
    t.deepEqual(await response.json(), {
      echoed: [`hi ${i}`, { n: 1 }],
      upstream: `upstream POST sent hi ${i}`,
      digest: 32,
      first: (await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`hi ${i}`)).then((d) => new Uint8Array(d)))[0],
      roundTrip: `hi ${i}`,
      random: 8,
    });
  }
  // Every call above ran in sync mode: the isolate was never demoted.
  t.deepEqual(await mode(plugin, 'caller'), { sameThread: true, demotions: 0 });
});

/** An app that awaits `n` (query) calls of env.TICK.tick() one after the other, and the host method it calls. */
function tickApp(runtime: EdgeRuntime, tick: () => Promise<number>): string {
  runtime.hooks.bindings.tapPromise('test:tick', async (bindings) => [...bindings, { name: 'TICK', methods: { tick } }]);
  return moduleScript(`{
    async fetch(request, env) {
      const n = Number(new URL(request.url).searchParams.get('n') ?? 0);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += await env.TICK.tick();
      return new Response(String(sum));
    },
  }`);
}

test.serial('in sync mode the guest resumes after a host call in the same turn of the event loop the call settled in', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  let calls = 0;
  let callsBeforeImmediate = -1;
  const base = await deployScript(
    runtime,
    'ticker',
    tickApp(runtime, async () => {
      // A setImmediate set at the first call runs in the next check phase: every call made before it is a guest
      // resumed without waiting for that phase.
      if (calls++ === 0) setImmediate(() => void (callsBeforeImmediate = calls));
      return 1;
    }),
  );
  await promote(t, runtime, plugin, `${base}/?n=0`, 'ticker');
  t.is(await text(runtime, `${base}/?n=10`), '10');
  await new Promise((resolve) => setImmediate(resolve));
  // Waiting for the check phase, the second call would come after it. All ten come before it unless the machine is
  // so slow that the bound on such runs (2 ms) cuts in.
  t.true(callsBeforeImmediate >= 2, `${callsBeforeImmediate} calls before the check phase`);
});

test.serial('host calls that settle without I/O do not hold the event loop: the guest waits for the check phase every few runs', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  const base = await deployScript(runtime, 'spinner', tickApp(runtime, async () => 1));
  await promote(t, runtime, plugin, `${base}/?n=0`, 'spinner');
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const answer = await text(runtime, `${base}/?n=3000`);
  counting = false;
  t.is(answer, '3000');
  // Chained without a bound, 3,000 runs would let the loop turn about once; at most 64 in a row, about 47 times.
  t.true(turns >= 20, `the event loop turned ${turns} times`);
});

test.serial('an unhandled rejection in sync mode is logged and fails no request, even one in flight beside it', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  const records = logs(runtime);
  const base = await deployScript(
    runtime,
    'rejecter',
    moduleScript(`{
      async fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === '/reject') { Promise.reject(new Error('nobody listens')); return new Response('rejected'); }
        if (path === '/wait') { await new Promise((resolve) => setTimeout(resolve, 30)); return new Response('waited'); }
        return new Response('quick');
      },
    }`),
  );
  await promote(t, runtime, plugin, base, 'rejecter');
  const waiting = runtime.fetch(new Request(`${base}/wait`));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const rejected = await runtime.fetch(new Request(`${base}/reject`));
  t.is(rejected.status, 200);
  t.is(await rejected.text(), 'rejected');
  const waited = await waiting;
  t.is(waited.status, 200);
  t.is(await waited.text(), 'waited');
  t.truthy(records.find((r) => r.app === 'rejecter' && r.level === 'error' && /Uncaught \(in promise\) Error: nobody listens/.test(r.message)));
  t.true((await mode(plugin, 'rejecter')).sameThread);
});

test.serial('timers, setInterval and console fire in sync mode', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  const records = logs(runtime);
  const base = await deployScript(
    runtime,
    'ticker',
    moduleScript(`{
      async fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === '/timers') {
          const seen = [];
          await new Promise((resolve) => {
            let ticks = 0;
            const id = setInterval(() => { seen.push('tick' + ++ticks); if (ticks === 3) { clearInterval(id); resolve(); } }, 5);
            setTimeout(() => seen.push('timeout'), 1);
          });
          console.log('ticked', seen.length);
          return new Response(seen.join(','));
        }
        return new Response('quick');
      },
    }`),
  );
  await promote(t, runtime, plugin, base, 'ticker');
  t.is(await text(runtime, `${base}/timers`), 'timeout,tick1,tick2,tick3');
  t.true((await mode(plugin, 'ticker')).sameThread);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.truthy(records.find((r) => r.app === 'ticker' && r.message === 'ticked 4'));
});

test.serial('in sync mode a streamed response, waitUntil work and an upload body all go through', async (t) => {
  const { runtime, plugin } = runtimeWith(t);
  const base = await deployScript(
    runtime,
    'streamer',
    moduleScript(`{
      async fetch(request, env, ctx) {
        const path = new URL(request.url).pathname;
        if (path === '/stream') {
          let n = 0;
          const body = new ReadableStream({
            async pull(controller) {
              await new Promise((resolve) => setTimeout(resolve, 1));
              if (++n > 5) controller.close();
              else controller.enqueue(new TextEncoder().encode('chunk' + n + ';'));
            },
          });
          return new Response(body);
        }
        if (path === '/background') {
          ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 300)).then(() => { globalThis.done = (globalThis.done ?? 0) + 1; }));
          return new Response('answered');
        }
        if (path === '/done') return new Response(String(globalThis.done ?? 0));
        if (path === '/upload') {
          let total = 0;
          for await (const chunk of request.body) total += chunk.byteLength;
          return new Response(String(total));
        }
        return new Response('quick');
      },
    }`),
  );
  await promote(t, runtime, plugin, base, 'streamer');
  t.is(await text(runtime, `${base}/stream`), 'chunk1;chunk2;chunk3;chunk4;chunk5;');
  t.is(await text(runtime, `${base}/background`), 'answered');
  // The waitUntil count reached the host before the answer: the request is still in flight for its background work.
  t.is((await plugin.stats()).find((isolate) => isolate.app === 'streamer')!.load, 1);
  const until = performance.now() + 5_000;
  while ((await plugin.stats()).find((isolate) => isolate.app === 'streamer')!.load > 0 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.is(await text(runtime, `${base}/done`), '1');
  const upload = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(64 * 1024));
      controller.close();
    },
  });
  const response = await runtime.fetch(new Request(`${base}/upload`, { method: 'POST', body: upload, duplex: 'half' } as RequestInit));
  t.is(await response.text(), String(8 * 64 * 1024));
  t.true((await mode(plugin, 'streamer')).sameThread);
});

test.serial('an app that runs out of memory in sync mode gets its isolate replaced, and a neighbour keeps answering', async (t) => {
  // CPU and wall limits far away, so memory is the limit this app meets even on a crowded machine.
  const { runtime, plugin } = runtimeWith(t, { limits: { memoryMb: 32, cpuMs: 60_000, wallMs: 60_000 } });
  const hog = await deployScript(runtime, 'hog', countingApp(`if (path === '/hog') { const kept = []; while (true) kept.push(new Array(1e6).fill(path)); }`));
  const neighbour = await deployScript(runtime, 'neighbour', countingApp(''));
  await promote(t, runtime, plugin, hog, 'hog');
  await promote(t, runtime, plugin, neighbour, 'neighbour');
  const [hogged, other] = await Promise.all([runtime.fetch(new Request(`${hog}/hog`, json)), runtime.fetch(new Request(neighbour))]);
  t.true(hogged.status >= 500, String(hogged.status));
  t.is((await errorOf(hogged)).code, 'E_LIMIT_MEMORY');
  t.is(other.status, 200);
  t.is(await text(runtime, hog), '1');
});
