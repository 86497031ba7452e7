import test from 'ava';
import type { LogRecord } from '../../../core/context.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { IsolatePlugin } from '../../../plugins/isolate/index.js';
import { quietRuntime } from '../../helpers/kernel.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';
import { countingApp as app, errorOf, json, text } from './runaway-apps.js';

// Each test is an escape attempt, run as app code; each must fail, and the host must go on serving.

async function answer(runtime: EdgeRuntime, url: string): Promise<unknown> {
  const response = await runtime.fetch(new Request(url));
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return `${response.status} ${text}`;
  }
}

/**
 * Guest code: runs an attempt, answering what it gave or the name of what it threw. An async function's
 * constructor makes async functions, so a promise is awaited (isolated-vm fails the call in flight on a rejection
 * nobody handles).
 */
const TRY = `async function attempt(fn) {
  const describe = (value) => value === undefined ? 'undefined' : typeof value === 'object' || typeof value === 'function' ? 'got ' + Object.prototype.toString.call(value) : String(value);
  try { return describe(await fn()); } catch (error) { return 'threw ' + (error && error.name); }
}`;

/** Names a host-side object would have: isolated-vm handles, Node globals, the bridge's functions. */
const HOST_NAMES = ['process', 'require', 'module', 'Buffer', 'global', 'ivm', 'applySync', 'derefInto', 'copyInto', 'readBody', 'callBinding', 'ExternalCopy', 'Reference'];

test('Function constructors, eval and new Function run inside the isolate and find no process, require or ivm', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'climber',
    moduleScript(`{
      async fetch(request, env, ctx) {
        ${TRY}
        const here = this;
        return Response.json({
          thisConstructor: await attempt(() => here.constructor.constructor('return process')()),
          objectConstructor: await attempt(() => ({}).constructor.constructor('return process')()),
          viaConsole: await attempt(() => console.log.constructor('return process')()),
          viaFetch: await attempt(() => fetch.constructor('return require')()),
          viaSetTimeout: await attempt(() => setTimeout.constructor('return this.process')()),
          viaCtx: await attempt(() => ctx.waitUntil.constructor('return process.mainModule')()),
          viaEnv: await attempt(() => env.constructor.constructor('return ivm')()),
          viaRequest: await attempt(() => request.headers.get.constructor('return process')()),
          evalProcess: eval('typeof process'),
          evalRequire: eval('typeof require'),
          indirectEvalGlobal: (0, eval)('this') === globalThis,
          newFunction: new Function('return [typeof process, typeof require, typeof module, typeof Buffer].join()')(),
          dynamicImport: await import('node:fs').then(() => 'imported', (error) => 'refused ' + error.name),
          hostNames: ${JSON.stringify(HOST_NAMES)}.filter((name) => name in globalThis),
        });
      },
    }`),
  );
  t.deepEqual(await answer(runtime, base), {
    thisConstructor: 'threw ReferenceError',
    objectConstructor: 'threw ReferenceError',
    viaConsole: 'threw ReferenceError',
    viaFetch: 'threw ReferenceError',
    viaSetTimeout: 'undefined',
    viaCtx: 'threw ReferenceError',
    viaEnv: 'threw ReferenceError',
    viaRequest: 'threw ReferenceError',
    evalProcess: 'undefined',
    evalRequire: 'undefined',
    indirectEvalGlobal: true,
    newFunction: 'undefined,undefined,undefined,undefined',
    dynamicImport: 'refused Error',
    hostNames: [],
  });
});

test('nothing reachable from the global (two levels deep) is a host handle or a bridge function', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'crawler',
    moduleScript(`{
      fetch(request, env) {
        const found = [];
        const suspicious = new Set(${JSON.stringify(HOST_NAMES)});
        const seen = new Set();
        const visit = (value, path, depth) => {
          if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
          seen.add(value);
          let tag;
          try { tag = Object.prototype.toString.call(value); } catch { tag = '?'; }
          if (/Reference|ExternalCopy|Callback|Isolate|Context/.test(tag)) found.push(path + ' is ' + tag);
          if (depth === 0) return;
          for (const key of Reflect.ownKeys(value)) {
            if (typeof key === 'string' && suspicious.has(key)) found.push(path + '.' + key);
            let child;
            try { child = value[key]; } catch { continue; }
            visit(child, path + '.' + String(key), depth - 1);
          }
        };
        visit(globalThis, 'globalThis', 2);
        visit(env, 'env', 2);
        return Response.json(found);
      },
    }`),
  );
  t.deepEqual(await answer(runtime, base), []);
});

test('Error.prepareStackTrace sees only the isolate’s own frames, gets nothing from strict platform code, and cannot break the host', async (t) => {
  const runtime = isolateRuntime(t);
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  const base = await deployScript(
    runtime,
    'tracer',
    moduleScript(`{
      async fetch(request) {
        const path = new URL(request.url).pathname;
        const frames = [];
        Error.prepareStackTrace = (error, callSites) => {
          for (const site of callSites) {
            const self = site.getThis(), fn = site.getFunction();
            frames.push({ file: String(site.getFileName()), self: self === undefined ? 'undefined' : self === globalThis ? 'global' : Object.prototype.toString.call(self), fn: typeof fn });
          }
          return 'stack';
        };
        if (path === '/throw-in-getter') {
          Error.prepareStackTrace = () => { throw new Error('from prepareStackTrace'); };
          throw new Error('boom');
        }
        if (path === '/weird-stack') {
          Error.prepareStackTrace = () => ({ get toString() { throw new Error('no'); } });
          throw new Error('boom');
        }
        // Errors raised inside platform (bootstrap) code, and in app callbacks the platform calls.
        try { new Response(null, { status: 1 }); } catch (error) { error.stack; }
        try { new Headers([['bad name', 'x']]); } catch (error) { error.stack; }
        await new ReadableStream({ pull() { throw new Error('in pull'); } }).getReader().read().catch((error) => error.stack);
        const bootstrap = frames.filter((frame) => !frame.file.startsWith('app://'));
        return Response.json({
          files: [...new Set(frames.map((frame) => frame.file.replace(/^app:\\/\\/.*/, 'app')))].sort(),
          bootstrapGaveThis: bootstrap.filter((frame) => frame.self !== 'undefined').length,
          bootstrapGaveFunction: bootstrap.filter((frame) => frame.fn !== 'undefined').length,
        });
      },
    }`),
  );
  const seen = (await answer(runtime, base)) as { files: string[]; bootstrapGaveThis: number; bootstrapGaveFunction: number };
  t.true(seen.files.every((file) => file === 'app' || file === 'hangar:bootstrap'), `frames from ${seen.files.join(', ')}`);
  t.is(seen.bootstrapGaveThis, 0);
  t.is(seen.bootstrapGaveFunction, 0);
  for (const path of ['/throw-in-getter', '/weird-stack']) {
    const response = await runtime.fetch(new Request(`${base}${path}`, json));
    t.is(response.status, 500, path);
  }
  t.is((await runtime.fetch(new Request(`${base}/throw-in-getter`))).status, 500);
  // The host lives on, and so does the app.
  t.is(((await answer(runtime, base)) as { bootstrapGaveThis: number }).bootstrapGaveThis, 0);
});

test('bridge arguments and results are copies: no host object, callback or Proxy crosses, and the host method sees only plain data', async (t) => {
  const runtime = isolateRuntime(t);
  const received: unknown[][] = [];
  runtime.hooks.bindings.tapPromise('test:probe', async (bindings) => [
    ...bindings,
    {
      name: 'PROBE',
      methods: {
        take: async (...args: unknown[]) => void received.push(args),
        give: async () => ({ nested: { list: [1, 2] }, when: new Date(0), fn: undefined }),
        host: async () => process,
      },
    },
  ]);
  const base = await deployScript(
    runtime,
    'prober',
    moduleScript(`{
      async fetch(request, env) {
        ${TRY}
        const settle = (promise) => promise.then((value) => 'resolved ' + Object.prototype.toString.call(value), (error) => 'rejected ' + error.name);
        const given = await env.PROBE.give();
        return Response.json({
          callback: await settle(env.PROBE.take(() => 'a function')),
          proxy: await settle(env.PROBE.take(new Proxy({}, { get() { throw new Error('trap'); } }))),
          symbol: await settle(env.PROBE.take(Symbol('s'))),
          getter: await settle(env.PROBE.take({ get value() { return 'read once'; } })),
          resultIsLocal: given.constructor === Object && given.nested.list instanceof Array && given.when instanceof Date,
          resultClimb: await attempt(() => given.constructor.constructor('return process')()),
          hostObject: await settle(env.PROBE.host()),
          rawMethodClimb: await attempt(() => env.PROBE.take.constructor('return process')()),
        });
      },
    }`),
  );
  t.deepEqual(await answer(runtime, base), {
    callback: 'rejected TypeError',
    proxy: 'rejected TypeError',
    symbol: 'rejected TypeError',
    getter: 'resolved [object Undefined]',
    resultIsLocal: true,
    resultClimb: 'threw ReferenceError',
    hostObject: 'rejected DataCloneError',
    rawMethodClimb: 'threw ReferenceError',
  });
  // Only the getter's plain copy reached the host.
  t.deepEqual(received, [[{ value: 'read once' }]]);
});

test('prototype pollution and lying Response objects change nothing the host does', async (t) => {
  const runtime = isolateRuntime(t);
  const script = moduleScript(`{
      fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === '/object') {
          Object.prototype.status = 999;
          Object.prototype.statusText = 'Owned';
          Object.prototype.headers = [['x-evil', '1']];
          Object.prototype.body = 42;
          Object.prototype.kind = 'exception';
          return new Response('plain');
        }
        if (path === '/array') {
          Array.prototype[Symbol.iterator] = function* () { yield ['x-evil', '1']; };
          Array.prototype.push = () => { throw new Error('no push'); };
          Array.isArray = () => false;
          return new Response('plain', { headers: { 'x-ok': '1' } });
        }
        if (path === '/getters') {
          let reads = 0;
          return new Response('plain', { get status() { return ++reads === 1 ? 201 : 999; }, get headers() { return { 'x-ok': String(reads) }; } });
        }
        if (path === '/subclass') {
          class Liar extends Response {
            get status() { return 999; }
            get headers() { return [['x-evil', 'a\\r\\nb']]; }
          }
          return new Liar('lies');
        }
        if (path === '/then') {
          Object.prototype.then = function (resolve) { delete Object.prototype.then; resolve({ kind: 'response', status: 299, statusText: '', headers: [['x-forged', '1']], body: 7 }); };
          return new Response('plain');
        }
        return new Response('fine');
      },
    }`);
  const neighbour = await deployScript(runtime, 'bystander', moduleScript(`{ fetch() { return Response.json({ status: ({}).status ?? null, isArray: Array.isArray([]) }); } }`));
  const results: Record<string, { status: number; evil: string | null; body: string }> = {};
  const bases: string[] = [];
  // One app per attempt: each pollutes only its own isolate.
  for (const path of ['/object', '/array', '/getters', '/subclass', '/then']) {
    const base = await deployScript(runtime, `polluter-${path.slice(1)}`, script);
    bases.push(base);
    const response = await runtime.fetch(new Request(`${base}${path}`));
    results[path] = { status: response.status, evil: response.headers.get('x-evil') ?? response.headers.get('x-forged'), body: (await response.text()).slice(0, 20) };
  }
  // Web IDL reads dictionary members through the prototype chain, so the app's own Response init sees status 999 and
  // throws (as in a browser): the app breaks itself, and the host answers a plain 500.
  for (const path of ['/object', '/array']) {
    t.like(results[path], { evil: null }, path);
    t.true(results[path]!.status === 200 || results[path]!.status === 500, `${path}: status ${results[path]!.status}`);
  }
  // Whatever the getters answer on a second read, the host sends what the guest's Response kept, or a 500.
  t.like(results['/getters'], { evil: null });
  t.true(results['/getters']!.status === 201 || results['/getters']!.status === 500, `status ${results['/getters']!.status}`);
  // The subclass's status cannot be sent: the request fails with 500, and nothing of the lie goes out.
  t.like(results['/subclass'], { status: 500, evil: null });
  // A forged result is still only the app's own response: the host checks it, and it cannot point at another body.
  t.not(results['/then']!.status, 999);
  // The host's own prototypes and other tenants are untouched.
  t.is(({} as { status?: number }).status, undefined);
  t.deepEqual(await answer(runtime, neighbour), { status: null, isArray: true });
  for (const base of bases) t.true((await runtime.fetch(new Request(`${base}/fine`))).status < 600);
  t.is(await (await runtime.fetch(new Request(`${bases[2]}/fine`))).text(), 'fine');
});

test('an app that takes over array index writes, the outbox\'s among them, breaks only its own isolate', async (t) => {
  const runtime = isolateRuntime(t, { limits: { wallMs: 3_000 } });
  // From then on every write to index 0 to 3 of a fresh array in this isolate is the app's: it forges what the
  // platform posts for the host (a host call with a count past the end of the outbox, a bogus kind, a negative id).
  const base = await deployScript(
    runtime,
    'forger',
    moduleScript(`{
      fetch(request) {
        if (new URL(request.url).pathname === '/forge') {
          const forged = ['call', -1, 'callBinding', 1e9];
          for (let i = 0; i < forged.length; i++) {
            Object.defineProperty(Array.prototype, i, {
              configurable: true,
              set() { Object.defineProperty(this, i, { value: forged[i], writable: true, enumerable: true, configurable: true }); },
            });
          }
        }
        return new Response('fine');
      },
    }`),
  );
  const neighbour = await deployScript(runtime, 'bystander', moduleScript(`{ fetch() { return new Response('untouched'); } }`));
  const started = performance.now();
  const response = await runtime.fetch(new Request(`${base}/forge`));
  t.is(response.status, 500);
  t.true(performance.now() - started < 2_500, 'failed at once, not at the wall-time limit');
  t.is(await (await runtime.fetch(new Request(neighbour))).text(), 'untouched');
  t.is(await (await runtime.fetch(new Request(base))).text(), 'fine', 'the app runs again, in a fresh isolate');
});

test('two apps with the same env names each read only their own values, whatever the other does to its globals', async (t) => {
  const runtime = isolateRuntime(t);
  const script = moduleScript(`{
    fetch(request, env) {
      if (new URL(request.url).pathname === '/tamper') {
        env.SECRET = 'overwritten';
        globalThis.SECRET = 'overwritten';
        Object.prototype.SECRET = 'polluted';
      }
      return Response.json({ env: env.SECRET, global: globalThis.SECRET, keys: Object.keys(env).filter((key) => key === 'SECRET' || key === 'OTHER') });
    },
  }`);
  const alpha = await deployScript(runtime, 'alpha', script, { env: { SECRET: 'alpha-secret' } });
  const beta = await deployScript(runtime, 'beta', script, { env: { SECRET: 'beta-secret', OTHER: 'beta-only' } });
  t.deepEqual(await answer(runtime, alpha), { env: 'alpha-secret', global: 'alpha-secret', keys: ['SECRET'] });
  await answer(runtime, `${beta}/tamper`);
  t.deepEqual(await answer(runtime, alpha), { env: 'alpha-secret', global: 'alpha-secret', keys: ['SECRET'] });
  const worker = `addEventListener('fetch', (event) => event.respondWith(Response.json({ secret: typeof SECRET === 'string' ? SECRET : null, other: typeof OTHER === 'string' ? OTHER : null })));`;
  const gamma = await deployScript(runtime, 'gamma', worker, { env: { SECRET: 'gamma-secret' } });
  t.deepEqual(await answer(runtime, gamma), { secret: 'gamma-secret', other: null });
});

test.serial('timers cannot get around the CPU limit: CPU burnt in timers after the response is bounded, and the isolate replaced', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 100, wallMs: 10_000 } });
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  const base = await deployScript(runtime, 'afterburner', app(`if (path === '/arm') { const loop = () => { burn(20); setTimeout(loop, 0); }; setTimeout(loop, 0); }`));
  t.is(await text(runtime, `${base}/arm`), '1');
  for (let i = 0; i < 100 && !records.some((r) => r.app === 'afterburner' && r.code === 'E_LIMIT_CPU_TIME'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const record = records.find((r) => r.app === 'afterburner' && r.code === 'E_LIMIT_CPU_TIME');
  t.regex(record?.message ?? '', /kept running after its requests were answered.*its isolate was replaced/);
  t.is(await text(runtime, base), '1');
});

test.serial('Atomics.wait cannot stall past the limits: the request fails, the isolate is replaced', async (t) => {
  const runtime = isolateRuntime(t, { limits: { cpuMs: 100, wallMs: 1_000 } });
  const base = await deployScript(runtime, 'waiter', app(`if (path === '/wait') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);`));
  t.is(await text(runtime, base), '1');
  const started = performance.now();
  const response = await runtime.fetch(new Request(`${base}/wait`, json));
  const elapsed = performance.now() - started;
  t.true(response.status === 503 || response.status === 504, `status ${response.status}`);
  t.regex((await errorOf(response)).code, /^E_LIMIT_(CPU|WALL)_TIME$/);
  t.true(elapsed < 2_500, `answered after ${Math.round(elapsed)} ms`);
  t.is(await text(runtime, base), '1');
});


test.serial('a tenant cannot keep stalling the host: a runaway on the main thread keeps its app off it, across new isolates', async (t) => {
  const plugin = new IsolatePlugin();
  const runtime = quietRuntime({ executor: { sameThread: { promoteAfter: 4, slowBudgetMs: 1_000 } }, limits: { cpuMs: 300, wallMs: 3_000 } }).use(plugin);
  t.teardown(() => runtime.close());
  // Quick answers earn the main thread; then it spins, or blocks without using CPU, until its limit stops it.
  const attacker = await deployScript(
    runtime,
    'alternator',
    moduleScript(`{
      fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === '/spin') while (true);
        if (path === '/block') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);
        return new Response('ok');
      },
    }`),
  );
  const onMainThread = async () => (await plugin.stats()).some((isolate) => isolate.app === 'alternator' && isolate.sameThread);
  const stalls: number[] = [];
  for (const attack of ['/spin', '/block', '/spin', '/block']) {
    for (let i = 0; i < 12; i++) t.is(await (await runtime.fetch(new Request(attacker))).text(), 'ok');
    // The longest the host's event loop could not turn during the attack: a stall is an attack on the main thread.
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const stopped = await runtime.fetch(new Request(`${attacker}${attack}`, json));
    // One more tick, so a stall that ended with the answer is measured.
    await new Promise((resolve) => setTimeout(resolve, 20));
    clearInterval(ticker);
    t.true(stopped.status === 503 || stopped.status === 504, `status ${stopped.status}`);
    if (longestGap >= 200) stalls.push(Math.round(longestGap));
  }
  t.false(await onMainThread(), 'the app was not promoted again');
  t.true(stalls.length <= 1, `the host's event loop was held by ${stalls.length} attacks: ${stalls.join(', ')} ms`);
});

test('one large string handed to many host calls or console lines at once is refused in the isolate, not copied to the host each time', async (t) => {
  // Copying out of an isolate writes a string once per reference: a thousand calls passing one 8 MB string used to
  // land 8 GB on the host and kill it with a heap out of memory.
  const runtime = isolateRuntime(t);
  let taken = 0;
  runtime.hooks.bindings.tapPromise('test:sink', async (bindings) => [...bindings, { name: 'SINK', methods: { take: async (value: unknown) => void (taken += String(value).length) } }]);
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void (record.app === 'flooder' && records.push(record)));
  const base = await deployScript(
    runtime,
    'flooder',
    moduleScript(`{
      async fetch(request, env) {
        const big = 'x'.repeat(8_000_000);
        if (new URL(request.url).pathname === '/log') {
          for (let i = 0; i < 5000; i++) console.log(big);
          return new Response('logged');
        }
        const calls = await Promise.allSettled(Array.from({ length: 100 }, () => env.SINK.take(big)));
        return Response.json({
          taken: calls.filter((call) => call.status === 'fulfilled').length,
          refused: calls.filter((call) => call.status === 'rejected' && call.reason.name === 'RangeError' && /await some/.test(call.reason.message)).length,
        });
      },
    }`),
  );
  // Eight such strings fit in what one drain may carry (OUTBOX_UNITS, 64 Mi characters); the ninth does not.
  t.deepEqual(await answer(runtime, base), { taken: 8, refused: 92 });
  t.is(taken, 8 * 8_000_000, 'only the calls within the limit reached the host');

  t.is(await answer(runtime, `${base}/log`), '200 logged');
  const lines = records.filter((record) => record.level === 'info');
  t.true(lines.length > 3000 && lines.length < 5000, `${lines.length} lines reached the host`);
  t.regex(lines[0]!.message, /^x{16384}… \(7983616 more characters\)$/, 'each line was cut in the isolate');
  t.is(records.filter((record) => record.level === 'warn' && /console lines were dropped/.test(record.message)).length, 1);
  t.deepEqual(await answer(runtime, base), { taken: 8, refused: 92 }, 'the isolate and the host serve on');
});
