import test from 'ava';
import type { LogRecord } from '../../../core/context.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

test('a service-worker style app answers with a body computed inside the isolate', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'sw',
    `addEventListener('fetch', (event) => {
      const url = new URL(event.request.url);
      const n = Number(url.searchParams.get('n'));
      event.respondWith(new Response(url.pathname + ':' + n * n, { status: 201, headers: { 'x-app': 'sw' } }));
    });`,
  );
  for (const n of [3, 12]) {
    const response = await runtime.fetch(new Request(`${base}/square?n=${n}`));
    t.is(response.status, 201);
    t.is(response.headers.get('x-app'), 'sw');
    t.is(response.headers.get('content-type'), 'text/plain;charset=UTF-8');
    t.is(await response.text(), `/square:${n * n}`);
  }
});

test('a module-style app gets request, env and ctx, and may answer asynchronously', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'mod',
    moduleScript(`{
      async fetch(request, env, ctx) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        ctx.waitUntil(Promise.resolve());
        return Response.json({ method: request.method, body: await request.text(), env, agent: request.headers.get('user-agent') });
      },
    }`),
    { env: { REGION: 'eu', SHARED: 'from-deployment' }, lambda: { environment: { SHARED: 'from-build', BUILD: '7' } } },
  );
  const response = await runtime.fetch(new Request(`${base}/`, { method: 'POST', body: 'payload', headers: { 'user-agent': 'ava' } }));
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'application/json');
  t.deepEqual(await response.json(), {
    method: 'POST',
    body: 'payload',
    env: { REGION: 'eu', SHARED: 'from-build', BUILD: '7' },
    agent: 'ava',
  });
});

test('a service-worker style app reads its env from globals, as on Cloudflare', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'swenv', `addEventListener('fetch', (e) => e.respondWith(new Response(GREETING + ' ' + typeof URL)));`, {
    env: { GREETING: 'hej', URL: 'must not replace the URL class' },
  });
  t.is(await (await runtime.fetch(new Request(base))).text(), 'hej function');
});

test('process and require are undefined in the app, and the bridge left no global behind', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'probe',
    `addEventListener('fetch', (e) => e.respondWith(Response.json({
      process: typeof process, require: typeof require, module: typeof module, ivm: typeof ivm,
      self: self === globalThis,
      hangarGlobals: Object.getOwnPropertyNames(globalThis).filter((name) => /hangar|bridge|ivm|isolate/i.test(name) && name !== '__hangar_entry__'),
      functionCtor: (() => { try { return typeof (function () {}).constructor('return this.process')(); } catch (error) { return 'threw ' + error.name; } })(),
    })));`,
  );
  const body = (await (await runtime.fetch(new Request(base))).json()) as Record<string, unknown>;
  t.deepEqual(body, { process: 'undefined', require: 'undefined', module: 'undefined', ivm: 'undefined', self: true, hangarGlobals: [], functionCtor: 'undefined' });
});

test('console output reaches the log hook tagged with the app and the request id', async (t) => {
  const runtime = isolateRuntime(t);
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  const base = await deployScript(
    runtime,
    'chatty',
    `addEventListener('fetch', (e) => {
      console.log('hello', { a: [1, 'two'] }, 3);
      console.warn('careful');
      console.error(new TypeError('bad thing'));
      e.respondWith(new Response('ok'));
    });`,
  );
  const response = await runtime.fetch(new Request(base));
  t.is(await response.text(), 'ok');
  const requestId = response.headers.get('x-request-id');
  const mine = records.filter((record) => record.app === 'chatty');
  t.like(mine[0], { level: 'info', message: "hello { a: [ 1, \"two\" ] } 3", requestId });
  t.like(mine[1], { level: 'warn', message: 'careful', requestId });
  t.like(mine[2], { level: 'error', requestId });
  t.regex(mine[2]!.message, /^TypeError: bad thing/);
});

test('request bodies stream into the isolate and response bodies stream out of it', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'echo',
    moduleScript(`{
      fetch(request) {
        let chunks = 0;
        const upper = new ReadableStream({
          async start(controller) {
            const reader = request.body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              chunks++;
              controller.enqueue(new TextEncoder().encode(new TextDecoder().decode(value).toUpperCase()));
            }
            controller.enqueue(new TextEncoder().encode('|chunks>' + (chunks > 1)));
            controller.close();
          },
        });
        return new Response(upper, { headers: { 'content-type': 'text/plain' } });
      },
    }`),
  );
  const parts = ['alpha-', 'beta-', 'gamma'];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = parts.shift();
      if (next === undefined) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 5));
      controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const response = await runtime.fetch(new Request(base, { method: 'POST', body, duplex: 'half' } as RequestInit));
  t.is(response.status, 200);
  t.is(await response.text(), 'ALPHA-BETA-GAMMA|chunks>true');
});

test('many concurrent requests to one app each get their own answer', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'busy',
    moduleScript(`{
      async fetch(request) {
        const id = new URL(request.url).searchParams.get('id');
        await new Promise((resolve) => setTimeout(resolve, Number(id) % 7));
        return new Response('answer ' + id);
      },
    }`),
  );
  const ids = Array.from({ length: 30 }, (_, i) => i);
  const bodies = await Promise.all(ids.map(async (id) => (await runtime.fetch(new Request(`${base}/?id=${id}`))).text()));
  t.deepEqual(bodies, ids.map((id) => `answer ${id}`));
});

test('setTimeout fires and clearTimeout cancels inside the isolate', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'timers',
    moduleScript(`{
      async fetch() {
        const fired = [];
        const cancelled = setTimeout(() => fired.push('cancelled'), 5);
        clearTimeout(cancelled);
        await new Promise((resolve) => setTimeout(() => { fired.push('late'); resolve(); }, 20));
        setTimeout((a, b) => fired.push(a + b), 0, 'x', 'y');
        await new Promise((resolve) => setTimeout(resolve, 10));
        return Response.json(fired);
      },
    }`),
  );
  t.deepEqual(await (await runtime.fetch(new Request(base))).json(), ['late', 'xy']);
});

test('a request body over the size limit answers 413', async (t) => {
  const runtime = isolateRuntime(t, { limits: { bodyBytes: 16 } });
  const base = await deployScript(
    runtime,
    'small',
    moduleScript(`{ async fetch(request) { try { await request.text(); } catch {} return new Response('read it'); } }`),
  );
  const small = await runtime.fetch(new Request(base, { method: 'POST', body: 'tiny' }));
  t.is(await small.text(), 'read it');
  const large = await runtime.fetch(new Request(base, { method: 'POST', body: 'x'.repeat(100), headers: { accept: 'application/json' } }));
  t.is(large.status, 413);
  t.like(await large.json(), { error: { code: 'E_LIMIT_BODY_SIZE' } });
});
