import test from 'ava';
import { SpareIsolates } from '../../../plugins/isolate/spare-isolates.js';
import { executorMode } from '../../../plugins/isolate/snapshot-flag.js';
import { deployScript, isolateRuntime } from './helpers.js';

function spares(count: number, errors: unknown[] = []): SpareIsolates {
  return new SpareIsolates({
    count,
    memoryMb: 64,
    timeoutMs: 5_000,
    platform: { maxTimers: 100, userAgent: 'hangar/test' },
    onError: (error) => errors.push(error),
    onCatastrophe: () => undefined,
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

test('spare isolates are made ahead, handed out once each, replaced, and only to apps with their heap limit', async (t) => {
  const pool = spares(1);
  t.teardown(() => pool.close());
  pool.fill();
  let first: ReturnType<SpareIsolates['take']>;
  await until(() => (first = pool.take(64)) !== undefined);
  t.truthy(first, 'a spare was made');
  t.is(pool.take(64), undefined, 'the only spare was taken');
  t.is(pool.take(128), undefined, 'an app with another heap limit gets none');
  let second: ReturnType<SpareIsolates['take']>;
  await until(() => (second = pool.take(64)) !== undefined);
  t.truthy(second, 'the spare was replaced');
  t.not(second!.isolate, first!.isolate);
  // The bootstrap ran in it and installed the platform, before any app: only the app is left to attach.
  t.is(second!.context.evalSync('typeof Response + " " + typeof fetch + " " + navigator.userAgent'), 'function function hangar/test');
  const attached = second!.attach({ env: {}, bindings: [] }, [], 1_000);
  t.is(attached.enter.typeof, 'function');
  t.throws(() => second!.attach({ env: {}, bindings: [] }, [], 1_000), { message: /already has its app/ }, 'an isolate gets one app');
  first!.dispose();
  second!.dispose();
});

test('closing the spares disposes those not handed out, and makes no more', async (t) => {
  const pool = spares(2);
  pool.fill();
  let taken: ReturnType<SpareIsolates['take']>;
  await until(() => (taken = pool.take(64)) !== undefined);
  pool.close();
  t.false(taken!.isolate.isDisposed, 'a spare handed out belongs to its app');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(pool.take(64), undefined);
  taken!.dispose();
});

test('tenants that start from spares share nothing: globals one sets are not there for the next', async (t) => {
  const runtime = isolateRuntime(t, { executor: { mode: 'inline', spareIsolates: 2 } });
  await runtime.start();
  const app = `
    addEventListener('fetch', (event) => {
      const before = typeof globalThis.marker === 'undefined' ? 'clean' : 'dirty:' + globalThis.marker;
      globalThis.marker = new URL(event.request.url).hostname;
      URL.prototype.polluted = true;
      event.respondWith(new Response(before));
    });`;
  const answers: string[] = [];
  for (const name of ['first', 'second', 'third', 'fourth']) {
    const url = await deployScript(runtime, name, app);
    answers.push(await (await runtime.fetch(new Request(`${url}/`))).text());
  }
  t.deepEqual(answers, ['clean', 'clean', 'clean', 'clean']);
  const probe = await deployScript(runtime, 'probe', `addEventListener('fetch', (e) => e.respondWith(new Response(String(URL.prototype.polluted))));`);
  t.is(await (await runtime.fetch(new Request(`${probe}/`))).text(), 'undefined');
});

test('the executor mode: inline only with --no-node-snapshot, process otherwise, with a warning that says what to do', (t) => {
  t.deepEqual(executorMode(undefined, true), { mode: 'inline' });
  t.deepEqual(executorMode('process', true), { mode: 'process' });
  t.deepEqual(executorMode('process', false), { mode: 'process' });
  for (const asked of [undefined, 'inline'] as const) {
    const chosen = executorMode(asked, false);
    t.is(chosen.mode, 'process');
    t.regex(chosen.warning!, /--no-node-snapshot/);
  }
});
