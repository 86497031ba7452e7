import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hasNoNodeSnapshot } from '../../../plugins/isolate/snapshot-flag.js';
import { edgeApp, isolateRuntime } from './helpers.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Counts requests in a global, and answers slowly on /slow: enough to be in flight across a switch. */
const versioned = (version: string) => `
  let served = 0;
  addEventListener('fetch', (event) => {
    served++;
    const slow = new URL(event.request.url).pathname === '/slow';
    event.respondWith(new Promise((resolve) => setTimeout(() => resolve(new Response('${version}:' + served)), slow ? 150 : 0)));
  });`;

test('activating a new deployment releases the old isolate once its in-flight requests are done', async (t) => {
  const runtime = isolateRuntime(t);
  const v1 = await edgeApp('app', versioned('v1'));
  const v2 = await edgeApp('app', versioned('v2'));
  await runtime.activate(v1);
  const get = async (path = '/') => (await runtime.fetch(new Request(`http://app.test${path}`))).text();
  t.is(await get(), 'v1:1');
  t.is(await get(), 'v1:2');
  const inFlight = get('/slow');
  await new Promise((resolve) => setTimeout(resolve, 30));
  await runtime.activate(v2);
  t.is(await inFlight, 'v1:3', 'a request that was running on v1 finishes there');
  t.is(await get(), 'v2:1');
  // Rolling back to the same content: v1's isolate was released, so it starts from a fresh one.
  await runtime.activate(v1);
  t.is(await get(), 'v1:1');
});

test('re-activating the same deployment keeps its isolate', async (t) => {
  const runtime = isolateRuntime(t);
  const v1 = await edgeApp('same', versioned('v1'));
  await runtime.activate(v1);
  t.is(await (await runtime.fetch(new Request('http://same.test/'))).text(), 'v1:1');
  await runtime.activate(v1);
  t.is(await (await runtime.fetch(new Request('http://same.test/'))).text(), 'v1:2');
});

test('close disposes every isolate: a request in flight ends with a 5xx and later ones are refused', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 30_000 } });
  await runtime.activate(await edgeApp('hang', `addEventListener('fetch', (e) => e.respondWith(new Promise(() => {})));`));
  const hanging = runtime.fetch(new Request('http://hang.test/'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await runtime.close();
  const response = await hanging;
  t.true(response.status >= 500);
  t.is((await runtime.fetch(new Request('http://hang.test/'))).status, 503);
});

test('the --no-node-snapshot check reads execArgv and NODE_OPTIONS', (t) => {
  t.true(hasNoNodeSnapshot(['--no-node-snapshot'], ''));
  t.true(hasNoNodeSnapshot([], '--max-old-space-size=100 --no-node-snapshot'));
  t.false(hasNoNodeSnapshot(['--import=tsx'], '--no-node-snapshots'));
});

test('a process started without --no-node-snapshot gets a warning that says what to do', async (t) => {
  const script = `
    const { EdgeRuntime } = await import('./core/runtime.ts');
    const { IsolatePlugin } = await import('./plugins/isolate/index.ts');
    new EdgeRuntime({ logger: { level: 'warn' } }).use(new IsolatePlugin());`;
  const args = ['--conditions=hangar-source', '--import=tsx', '--input-type=module', '-e', script];
  const { NODE_OPTIONS: _, ...env } = process.env;
  const without = await run(process.execPath, args, { cwd: repo, env });
  t.regex(without.stdout, /started without --no-node-snapshot/);
  t.regex(without.stdout, /node --no-node-snapshot/);
  t.regex(without.stdout, /NODE_OPTIONS=--no-node-snapshot/);
  const withFlag = await run(process.execPath, args, { cwd: repo, env: { ...env, NODE_OPTIONS: '--no-node-snapshot' } });
  t.notRegex(withFlag.stdout, /no-node-snapshot/);
});
