import test from 'ava';
import type { AppBinding, BindingContext } from '../../../core/bindings.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

/** A tiny key-value binding whose state lives in the host, one map per app. */
function kvBinding(stores: Map<string, Map<string, unknown>>, context: BindingContext): AppBinding {
  const store = stores.get(context.app) ?? new Map<string, unknown>();
  stores.set(context.app, store);
  return {
    name: 'KV',
    methods: {
      put: async (key, value) => void store.set(String(key), value),
      get: async (key) => store.get(String(key)) ?? null,
      fail: async () => {
        throw new Error('the store is read-only today');
      },
    },
    guest: `({
      put: (key, value) => raw.put(key, value),
      get: (key) => raw.get(key),
      async getOr(key, fallback) { return (await raw.get(key)) ?? fallback; },
      fail: () => raw.fail(),
      platformAtCreation: typeof Response === 'function' && typeof URL === 'function',
    })`,
  };
}

test('a binding round-trips copies through the bridge, its guest wrapper runs in the isolate, and host state stays per app', async (t) => {
  const runtime = isolateRuntime(t);
  const stores = new Map<string, Map<string, unknown>>();
  const contexts: BindingContext[] = [];
  runtime.hooks.bindings.tapPromise('test:kv', async (bindings, context) => {
    contexts.push(context);
    return [...bindings, kvBinding(stores, context), { name: 'RAW', methods: { echo: async (...args) => args } }];
  });
  const script = moduleScript(`{
    async fetch(request, env) {
      const url = new URL(request.url);
      if (url.pathname === '/put') {
        const value = { n: Number(url.searchParams.get('n')), tags: ['a', 'b'], when: new Date(0) };
        await env.KV.put('item', value);
        value.n = -1; // the host holds a copy, not this object
        return new Response('stored');
      }
      const item = await env.KV.get('item');
      const results = {
        item: item && { n: item.n, tags: item.tags, when: item.when instanceof Date },
        fallback: await env.KV.getOr('missing', 'fallback'),
        echo: await env.RAW.echo(1, 'two', [3]),
        platformAtCreation: env.KV.platformAtCreation,
      };
      try { await env.KV.fail(); } catch (error) { results.failure = error.message; results.leaksHostStack = /\\.ts:|node:/.test(error.stack); }
      try { await env.RAW.echo(() => 1); } catch (error) { results.functionArg = error.name; }
      return Response.json(results);
    },
  }`);
  const one = await deployScript(runtime, 'one', script);
  const two = await deployScript(runtime, 'two', script);
  t.is(await (await runtime.fetch(new Request(`${one}/put?n=41`))).text(), 'stored');
  const read = await runtime.fetch(new Request(`${one}/get`));
  t.deepEqual(await read.json(), {
    item: { n: 41, tags: ['a', 'b'], when: true },
    fallback: 'fallback',
    echo: [1, 'two', [3]],
    platformAtCreation: true,
    failure: 'the store is read-only today',
    leaksHostStack: false,
    functionArg: 'TypeError',
  });
  t.like(await (await runtime.fetch(new Request(`${two}/get`))).json(), { item: null });
  t.is((stores.get('one')!.get('item') as { n: number }).n, 41);
  // Collected once per isolate context, with the app's own container.
  await runtime.fetch(new Request(`${one}/get`));
  t.deepEqual(
    contexts.map((c) => c.app),
    ['one', 'two'],
  );
  t.is(contexts[0]!.container, runtime.appContainer('one'));
});

test('a binding without guest source appears as a frozen object of functions that answer promises of its methods', async (t) => {
  const runtime = isolateRuntime(t);
  runtime.hooks.bindings.tap('test:raw', (bindings) => [...bindings, { name: 'RAW', methods: { ping: async () => 'pong' } }]);
  const base = await deployScript(
    runtime,
    'raw',
    moduleScript(`{
      async fetch(request, env) {
        return Response.json({
          ping: await env.RAW.ping(),
          keys: Object.keys(env.RAW),
          frozen: Object.isFrozen(env.RAW),
          promise: env.RAW.ping() instanceof Promise,
        });
      },
    }`),
  );
  t.deepEqual(await (await runtime.fetch(new Request(base))).json(), { ping: 'pong', keys: ['ping'], frozen: true, promise: true });
});

test('a binding scoped to the global is a global of the isolate and stays out of env', async (t) => {
  const runtime = isolateRuntime(t);
  runtime.hooks.bindings.tap('test:global', (bindings) => [
    ...bindings,
    { name: 'clock', scope: 'global', methods: { now: async () => 42 }, guest: `({ now: () => raw.now() })` },
  ]);
  const origin = await deployScript(
    runtime,
    'scoped',
    moduleScript(`{
      async fetch(request, env) {
        return Response.json({ inEnv: 'clock' in env, now: await globalThis.clock.now(), enumerable: Object.keys(globalThis).includes('clock') });
      },
    }`),
  );
  t.deepEqual(await (await runtime.fetch(new Request(`${origin}/`))).json(), { inEnv: false, now: 42, enumerable: false });
});
