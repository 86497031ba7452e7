import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import type { LogRecord } from '../../../core/context.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

/** A loopback server that records the paths it was sent. */
async function recorder(t: ExecutionContext): Promise<{ origin: string; hits: string[] }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url!);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function logs(runtime: EdgeRuntime): LogRecord[] {
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  return records;
}

const sleep = (ms: number) => `new Promise((resolve) => setTimeout(resolve, ${ms}))`;

test('ctx.waitUntil and event.waitUntil keep work going after the response, and close() waits for it', async (t) => {
  const { origin, hits } = await recorder(t);
  const runtime = isolateRuntime(t);
  const modular = await deployScript(
    runtime,
    'modular',
    moduleScript(`{ fetch(request, env, ctx) { if (request.url.endsWith('/bg')) ctx.waitUntil(${sleep(150)}.then(() => fetch('${origin}/modular'))); return new Response('answered'); } }`),
    { fetch: { allow: ['127.0.0.1'] } },
  );
  const worker = await deployScript(
    runtime,
    'worker',
    `addEventListener('fetch', (event) => { if (event.request.url.endsWith('/bg')) event.waitUntil(${sleep(150)}.then(() => fetch('${origin}/worker'))); event.respondWith(new Response('answered')); });`,
    { fetch: { allow: ['127.0.0.1'] } },
  );
  for (const base of [modular, worker]) {
    // Warm, so that the timing below is the request's alone.
    t.is(await (await runtime.fetch(new Request(base))).text(), 'answered');
    const started = performance.now();
    t.is(await (await runtime.fetch(new Request(`${base}/bg`))).text(), 'answered');
    t.true(performance.now() - started < 150, 'the response did not wait for the background work');
  }
  t.deepEqual(hits, []);
  await runtime.close();
  t.deepEqual(hits.sort(), ['/modular', '/worker']);
});

test('waitUntil work past limits.waitUntilMs is no longer waited for, and a rejection is logged', async (t) => {
  const runtime = isolateRuntime(t, { limits: { waitUntilMs: 200 } });
  const records = logs(runtime);
  const base = await deployScript(
    runtime,
    'forever',
    moduleScript(`{ fetch(request, env, ctx) { ctx.waitUntil(new Promise(() => {})); ctx.waitUntil(Promise.reject(new Error('background broke'))); return new Response('ok'); } }`),
  );
  t.is(await (await runtime.fetch(new Request(base))).text(), 'ok');
  const started = performance.now();
  await runtime.close();
  const elapsed = performance.now() - started;
  t.true(elapsed >= 150 && elapsed < 2_000, `close() took ${Math.round(elapsed)} ms`);
  t.truthy(records.find((r) => r.app === 'forever' && r.level === 'error' && /Uncaught \(in waitUntil\) .*background broke/.test(r.message)));
  t.truthy(records.find((r) => r.app === 'forever' && r.level === 'warn' && /1 waitUntil promise\(s\) still pending 200 ms after the response were no longer waited for/.test(r.message)));
});

test('the CPU waitUntil work burns counts against its request', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 100 } });
  const records = logs(runtime);
  const base = await deployScript(
    runtime,
    'background-burner',
    moduleScript(`{
      fetch(request, env, ctx) {
        globalThis.served = (globalThis.served ?? 0) + 1;
        if (new URL(request.url).pathname === '/burn') {
          ctx.waitUntil((async () => { for (;;) { await new Promise((resolve) => setTimeout(resolve, 0)); const end = Date.now() + 10; while (Date.now() < end); } })());
        }
        return new Response(String(globalThis.served));
      },
    }`),
  );
  t.is(await (await runtime.fetch(new Request(`${base}/burn`))).text(), '1');
  for (let i = 0; i < 100 && !records.some((r) => r.app === 'background-burner' && r.code === 'E_LIMIT_CPU_TIME'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.truthy(records.find((r) => r.app === 'background-burner' && r.code === 'E_LIMIT_CPU_TIME'));
  // The burning isolate was replaced.
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
});
