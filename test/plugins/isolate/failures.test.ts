import test from 'ava';
import type { LogRecord } from '../../../core/context.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

const json = { headers: { accept: 'application/json' } };

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  return ((await response.json()) as ErrorBody).error;
}

// The tests that spin or blow up isolates run one at a time, so they do not starve each other of CPU.

/** An app that counts its requests in a global: a count that restarts shows the isolate was replaced. */
const counting = (extra: string) => `
  let served = 0;
  addEventListener('fetch', (event) => {
    const path = new URL(event.request.url).pathname;
    ${extra}
    served++;
    event.respondWith(new Response(String(served)));
  });`;

test('an exception answers 500 E_APP_EXCEPTION with the request id, and its stack goes to the app log', async (t) => {
  const runtime = isolateRuntime(t);
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  const base = await deployScript(runtime, 'thrower', `addEventListener('fetch', () => { throw new RangeError('secret detail'); });`);
  const response = await runtime.fetch(new Request(base, json));
  t.is(response.status, 500);
  const error = await errorOf(response);
  t.is(error.code, 'E_APP_EXCEPTION');
  t.is(error.requestId, response.headers.get('x-request-id')!);
  t.false(error.message.includes('secret detail'), 'the app’s own message stays in its log');
  const logged = records.find((record) => record.app === 'thrower' && record.level === 'error');
  t.is(logged?.message, 'Uncaught RangeError: secret detail');
  t.is(logged?.requestId, error.requestId);
  t.regex(String(logged?.stack), /app:\/\/thrower\/index\.js/);
});

test('a rejected promise from a module fetch answers 500', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'rejecter', moduleScript(`{ async fetch() { await null; throw new Error('later'); } }`));
  const response = await runtime.fetch(new Request(base, json));
  t.is(response.status, 500);
  t.is((await errorOf(response)).code, 'E_APP_EXCEPTION');
});

test('a listener that never calls respondWith answers 502 E_APP_NO_RESPONSE', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'silent', `addEventListener('fetch', () => {});`);
  const response = await runtime.fetch(new Request(base, json));
  t.is(response.status, 502);
  const error = await errorOf(response);
  t.is(error.code, 'E_APP_NO_RESPONSE');
  t.regex(error.message, /respondWith/);
});

test('an app with neither a listener nor a fetch export, or that answers a non-Response, gets a 5xx that says so', async (t) => {
  const runtime = isolateRuntime(t);
  const empty = await deployScript(runtime, 'empty', `const nothing = 1;`);
  const none = await runtime.fetch(new Request(empty, json));
  t.is(none.status, 502);
  t.regex((await errorOf(none)).message, /neither exports default \{ fetch \} nor adds a fetch event listener/);
  const wrong = await deployScript(runtime, 'wrong', moduleScript(`{ fetch() { return 'just a string'; } }`));
  const response = await runtime.fetch(new Request(wrong, json));
  t.is(response.status, 500);
});

test('an app whose top-level code throws answers 500, and is retried on the next request', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'broken', `throw new Error('cannot start');`);
  for (let i = 0; i < 2; i++) {
    const response = await runtime.fetch(new Request(base, json));
    t.is(response.status, 500);
    t.regex((await errorOf(response)).message, /failed to start: .*cannot start/);
  }
});

test.serial('while(true) answers 504 within its deadline, a neighbour keeps answering meanwhile, and the isolate is replaced', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 300 } });
  const spinner = await deployScript(runtime, 'spinner', counting(`if (path === '/spin') while (true) {}`));
  const neighbour = await deployScript(runtime, 'neighbour', `addEventListener('fetch', (e) => e.respondWith(new Response('still here')));`);
  t.is(await (await runtime.fetch(new Request(`${spinner}/`))).text(), '1');
  t.is(await (await runtime.fetch(new Request(neighbour))).text(), 'still here');

  const started = performance.now();
  let spinDone = false;
  const spin = runtime.fetch(new Request(`${spinner}/spin`, json)).then((response) => {
    spinDone = true;
    return response;
  });
  const answeredDuringSpin: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await runtime.fetch(new Request(neighbour));
    t.is(await response.text(), 'still here');
    answeredDuringSpin.push(!spinDone);
  }
  const response = await spin;
  const elapsed = performance.now() - started;
  t.is(response.status, 504);
  t.is((await errorOf(response)).code, 'E_LIMIT_WALL_TIME');
  t.true(elapsed < 300 + 2_000, `answered after ${elapsed} ms`);
  t.deepEqual(answeredDuringSpin, [true, true, true]);
  // A fresh isolate: the count starts again.
  t.is(await (await runtime.fetch(new Request(`${spinner}/`))).text(), '1');
});

test.serial('a loop that starts after an await escapes the call timeout but is still stopped and replaced', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 300 } });
  const base = await deployScript(
    runtime,
    'late-spinner',
    counting(`if (path === '/spin') return event.respondWith(new Promise((resolve) => setTimeout(resolve, 20)).then(() => { while (true) {} }));`),
  );
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
  const response = await runtime.fetch(new Request(`${base}/spin`, json));
  t.is(response.status, 504);
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
});

test('a promise that never settles answers 504, and the isolate that merely waited is kept', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 200 } });
  const base = await deployScript(runtime, 'waiter', counting(`if (path === '/hang') return event.respondWith(new Promise(() => {}));`));
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
  const response = await runtime.fetch(new Request(`${base}/hang`, json));
  t.is(response.status, 504);
  // Past the runaway watch too: the idle isolate must survive it.
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.is(await (await runtime.fetch(new Request(base))).text(), '2');
});

test('a Lambda maxDuration lowers the wall-time limit', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 60_000 } });
  const base = await deployScript(runtime, 'short', `addEventListener('fetch', (e) => e.respondWith(new Promise(() => {})));`, { lambda: { maxDuration: 0.2 } });
  const response = await runtime.fetch(new Request(base, json));
  t.is(response.status, 504);
  t.regex((await errorOf(response)).message, /200 ms/);
});

test.serial('a memory blow-up answers 5xx, the host lives on, and the app gets a fresh isolate', async (t) => {
  // CPU and wall limits far away, so memory is the limit this app meets even on a crowded machine.
  const runtime = isolateRuntime(t, { limits: { memoryMb: 32, cpuMs: 60_000, wallMs: 60_000 } });
  const base = await deployScript(runtime, 'hog', counting(`if (path === '/hog') { const a = []; while (true) a.push(new Array(1e6).fill(path)); }`));
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
  const response = await runtime.fetch(new Request(`${base}/hog`, json));
  t.true(response.status >= 500, `status ${response.status}`);
  t.is((await errorOf(response)).code, 'E_LIMIT_MEMORY');
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
});

test.serial('a runaway timer callback is stopped and its isolate replaced', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 500 } });
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  const base = await deployScript(runtime, 'timer-spinner', counting(`if (path === '/arm') setTimeout(() => { while (true) {} }, 50);`));
  t.is(await (await runtime.fetch(new Request(`${base}/arm`))).text(), '1');
  for (let i = 0; i < 50 && !records.some((r) => r.app === 'timer-spinner' && /timer/.test(r.message)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.regex(records.find((r) => r.app === 'timer-spinner')?.message ?? '', /a timer of app timer-spinner failed: .*wall-time limit/);
  t.is(await (await runtime.fetch(new Request(base))).text(), '1');
});
