import test, { type ExecutionContext } from 'ava';
import type { RuntimeOptions } from '../../../core/options.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { IsolatePlugin } from '../../../plugins/isolate/index.js';
import { quietRuntime } from '../../helpers/kernel.js';
import { deployScript, moduleScript } from './helpers.js';

function setup(t: ExecutionContext, limits: RuntimeOptions['limits']): { runtime: EdgeRuntime; plugin: IsolatePlugin } {
  const plugin = new IsolatePlugin();
  const runtime = quietRuntime({ limits, executor: { spareIsolates: 0 } }).use(plugin);
  t.teardown(() => runtime.close());
  return { runtime, plugin };
}

/** Each isolate draws a name once; a response says which isolate answered and how many requests it has served. */
const WHO = moduleScript(`{
  async fetch(request) {
    globalThis.name ??= Math.random().toString(36).slice(2);
    globalThis.served = (globalThis.served ?? 0) + 1;
    const wait = Number(new URL(request.url).searchParams.get('wait') ?? 0);
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const keep = Number(new URL(request.url).searchParams.get('keepMb') ?? 0);
    if (keep) (globalThis.kept ??= []).push(new Uint8Array(keep * 1024 * 1024).fill(1));
    return Response.json({ name: globalThis.name, served: globalThis.served });
  },
}`);

interface Who {
  name: string;
  served: number;
}

async function who(runtime: EdgeRuntime, url: string): Promise<Who> {
  const text = await (await runtime.fetch(new Request(url))).text();
  try {
    return JSON.parse(text) as Who;
  } catch {
    throw new Error(`${url} answered ${text}`);
  }
}

async function apps(plugin: IsolatePlugin): Promise<string[]> {
  return (await plugin.stats()).map((isolate) => isolate.app).sort();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, ms = 3_000): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end; await sleep(20)) if (await check()) return true;
  return check();
}

test('concurrent requests spread over up to isolatesPerApp isolates; an idle one is reused', async (t) => {
  const { runtime } = setup(t, { isolatesPerApp: 2 });
  const base = await deployScript(runtime, 'wide', WHO);
  const answers = await Promise.all(Array.from({ length: 4 }, () => who(runtime, `${base}/?wait=150`)));
  t.is(new Set(answers.map((answer) => answer.name)).size, 2);
  const next = await who(runtime, base);
  t.true(answers.some((answer) => answer.name === next.name));

  const { runtime: narrow } = setup(t, { isolatesPerApp: 1 });
  const single = await deployScript(narrow, 'narrow', WHO);
  const together = await Promise.all(Array.from({ length: 3 }, () => who(narrow, `${single}/?wait=50`)));
  t.is(new Set(together.map((answer) => answer.name)).size, 1);
});

test('isolatesMinPerApp isolates start at activation and outlive the idle timeout; others are torn down when idle', async (t) => {
  const { runtime, plugin } = setup(t, { isolatesMinPerApp: 2, isolatesPerApp: 3, idleMs: 300 });
  const base = await deployScript(runtime, 'warm', WHO);
  t.true(await until(async () => (await apps(plugin)).length === 2), 'two isolates started before any request');
  // A third, made for a burst, goes once idle; the two kept warm stay.
  const burst = await Promise.all(Array.from({ length: 3 }, () => who(runtime, `${base}/?wait=100`)));
  t.is(new Set(burst.map((answer) => answer.name)).size, 3);
  t.true(await until(async () => (await apps(plugin)).length === 2));
  await sleep(400);
  t.deepEqual(await apps(plugin), ['warm', 'warm']);
});

test('an idle isolate is torn down after idleMs, and the next request gets a fresh one', async (t) => {
  const { runtime, plugin } = setup(t, { idleMs: 100 });
  const base = await deployScript(runtime, 'sleepy', WHO);
  t.is((await who(runtime, base)).served, 1);
  t.is((await who(runtime, base)).served, 2);
  t.deepEqual(await apps(plugin), ['sleepy']);
  t.true(await until(async () => (await apps(plugin)).length === 0));
  t.is((await who(runtime, base)).served, 1);
});

test('under the global cap, the least recently used idle isolate is evicted; with every isolate busy, 503', async (t) => {
  const { runtime, plugin } = setup(t, { maxIsolates: 2 });
  const a = await deployScript(runtime, 'a', WHO);
  const b = await deployScript(runtime, 'b', WHO);
  const c = await deployScript(runtime, 'c', WHO);
  await who(runtime, a);
  await who(runtime, b);
  t.is((await who(runtime, a)).served, 2);
  // c needs room: b was used least recently.
  await who(runtime, c);
  t.deepEqual(await apps(plugin), ['a', 'c']);
  t.is((await who(runtime, a)).served, 3);
  t.is((await who(runtime, b)).served, 1);
  t.deepEqual(await apps(plugin), ['a', 'b']);

  const busy = [who(runtime, `${a}/?wait=300`), who(runtime, `${b}/?wait=300`)];
  await sleep(50);
  const refused = await runtime.fetch(new Request(c, { headers: { accept: 'application/json' } }));
  t.is(refused.status, 503);
  t.is(((await refused.json()) as { error: { code: string } }).error.code, 'E_LIMIT_ISOLATES');
  await Promise.all(busy);
  t.is((await who(runtime, c)).served, 1);
});

test('an isolate whose heap passes recycleHeapShare of its limit is replaced after the request', async (t) => {
  const { runtime, plugin } = setup(t, { memoryMb: 64, recycleHeapShare: 0.25 });
  const base = await deployScript(runtime, 'grower', WHO);
  const first = await who(runtime, `${base}/?keepMb=6`);
  await sleep(150);
  // 12 MiB kept: under 16.
  t.is((await who(runtime, `${base}/?keepMb=6`)).name, first.name);
  await sleep(150);
  // 18 MiB kept: over 16, so this isolate is recycled once the request is done.
  t.is((await who(runtime, `${base}/?keepMb=6`)).name, first.name);
  t.true(await until(async () => (await plugin.stats()).every((isolate) => isolate.heapUsedBytes < 16 * 1024 * 1024)));
  const fresh = await who(runtime, base);
  t.not(fresh.name, first.name);
  t.is(fresh.served, 1);
});
