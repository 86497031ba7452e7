// Entries queued in one turn of the event loop enter their isolate as one batch, and each still gets its own answer.
import test from 'ava';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

/**
 * Counts the requests its isolate has started, and answers how many had started when this one resumed after an
 * await: requests of one batch all start before any of them resumes.
 */
const COUNTER = moduleScript(`{
  async fetch(request) {
    const id = new URL(request.url).searchParams.get('id');
    globalThis.started = (globalThis.started ?? 0) + 1;
    await null;
    return Response.json({ id, startedBeforeAnswer: globalThis.started });
  },
}`);

async function burst(base: string, runtime: { fetch(request: Request): Promise<Response> }, count: number): Promise<{ id: string; startedBeforeAnswer: number }[]> {
  const responses = await Promise.all(Array.from({ length: count }, (_, i) => runtime.fetch(new Request(`${base}/?id=${i}`))));
  return Promise.all(responses.map((response) => response.json() as Promise<{ id: string; startedBeforeAnswer: number }>));
}

test('requests made in one turn enter the isolate together, each answered with its own response', async (t) => {
  const runtime = isolateRuntime(t, { executor: { spareIsolates: 0 } });
  const base = await deployScript(runtime, 'counter', COUNTER);
  t.is(((await (await runtime.fetch(new Request(`${base}/?id=warm`))).json()) as { startedBeforeAnswer: number }).startedBeforeAnswer, 1);
  const answers = await burst(base, runtime, 10);
  t.deepEqual(answers.map((answer) => answer.id), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // All ten started before the first resumed: one batch, one call into the isolate.
  t.deepEqual(new Set(answers.map((answer) => answer.startedBeforeAnswer)), new Set([11]));
});

test('a batch holds at most half the CPU limit in milliseconds of entries; the rest go in the next batches', async (t) => {
  // cpuMs 20: at most 10 entries a batch.
  const runtime = isolateRuntime(t, { executor: { spareIsolates: 0 }, limits: { cpuMs: 20 } });
  const base = await deployScript(runtime, 'counter', COUNTER);
  await runtime.fetch(new Request(`${base}/?id=warm`));
  const answers = await burst(base, runtime, 25);
  t.deepEqual(
    answers.map((answer) => answer.startedBeforeAnswer),
    [...Array<number>(10).fill(11), ...Array<number>(10).fill(21), ...Array<number>(5).fill(26)],
  );
});

test('a host-call outcome the isolate cannot take fails that call alone, not the others of its batch', async (t) => {
  const runtime = isolateRuntime(t);
  runtime.hooks.bindings.tapPromise('test:odd', async (bindings) => [
    ...bindings,
    { name: 'ODD', methods: { plain: async (n) => ({ n }), fn: async () => () => 'a host function' } },
  ]);
  const base = await deployScript(
    runtime,
    'odd',
    moduleScript(`{
      async fetch(request, env) {
        const settled = await Promise.allSettled([env.ODD.plain(1), env.ODD.fn(), env.ODD.plain(2)]);
        return Response.json(settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason.name)));
      },
    }`),
  );
  const response = await runtime.fetch(new Request(base));
  const text = await response.text();
  t.deepEqual(JSON.parse(text), [{ n: 1 }, 'DataCloneError', { n: 2 }], text);
});
