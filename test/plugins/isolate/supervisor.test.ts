import test from 'ava';
import type { Executor } from '../../../core/executor.js';
import type { LogRecord } from '../../../core/context.js';
import { Lambda } from '../../../core/files/lambda.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { shardOf } from '../../../plugins/isolate/supervisor/shard.js';
import { ProcessExecutor } from '../../../plugins/isolate/supervisor/process-executor.js';
import { IsolatePlugin } from '../../../plugins/isolate/index.js';
import { quietRuntime } from '../../helpers/kernel.js';
import { deployScript, edgeApp, moduleScript } from './helpers.js';

// Read by the children this file's runtimes fork: SIGUSR2 makes a child call process.abort() from inside, SIGHUP
// makes it log a fatal error as isolated-vm's onCatastrophicError handler does.
process.env.HANGAR_TEST_HOOKS = '1';

const PROCESSES = 2;

interface ProcessRuntime {
  runtime: EdgeRuntime;
  executor: ProcessExecutor;
}

const opened: EdgeRuntime[] = [];
test.after.always(() => Promise.all(opened.map((runtime) => runtime.close())));

/** A runtime in process mode whose executor is reachable, for its pids. Few are made: each forks its processes. */
async function processRuntime(): Promise<ProcessRuntime> {
  const runtime = quietRuntime({ executor: { mode: 'process', processes: PROCESSES, spareIsolates: 1 }, limits: { wallMs: 20_000 } }).use(new IsolatePlugin());
  opened.push(runtime);
  await runtime.start();
  const executor: Executor | undefined = runtime.hooks.executor.call(new Lambda({ files: {}, handler: 'index.js', runtime: 'edge' }));
  if (!(executor instanceof ProcessExecutor)) throw new Error('the runtime did not pick the process executor');
  return { runtime, executor };
}

/** Two app names that land on different processes. */
function appsOnTwoShards(prefix: string): [string, string] {
  const first = `${prefix}-0`;
  for (let i = 1; ; i++) {
    const other = `${prefix}-${i}`;
    if (shardOf(other, PROCESSES) !== shardOf(first, PROCESSES)) return [first, other];
  }
}

/** Answers `/slow` only after a long wait, so a request there is in flight when its process is killed. */
const SLOW_APP = `
  addEventListener('fetch', (event) => {
    const slow = new URL(event.request.url).pathname === '/slow';
    event.respondWith(slow ? new Promise((resolve) => setTimeout(() => resolve(new Response('late')), 15000)) : new Response('ok'));
  });`;

/** Shared by the tests that kill processes (run one after another), and by those that do not. */
const crashing = processRuntime();
const healthy = processRuntime();

const get = (runtime: EdgeRuntime, url: string) => runtime.fetch(new Request(url, { headers: { accept: 'application/json' } }));

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

for (const how of ['SIGKILL', 'process.abort()'] as const) {
  test.serial(`a child killed by ${how} mid-request: that request gets 502, other tenants keep answering, the tenant answers again`, async (t) => {
    const { runtime, executor } = await crashing;
    const [victim, neighbour] = appsOnTwoShards(how === 'SIGKILL' ? 'kill' : 'abort');
    const victimUrl = await deployScript(runtime, victim, SLOW_APP);
    const neighbourUrl = await deployScript(runtime, neighbour, SLOW_APP);
    t.is(await (await get(runtime, `${victimUrl}/`)).text(), 'ok');
    t.is(await (await get(runtime, `${neighbourUrl}/`)).text(), 'ok');
    const victimPid = executor.pidOf(victim)!;
    const neighbourPid = executor.pidOf(neighbour)!;
    t.not(victimPid, neighbourPid);
    t.not(victimPid, process.pid);

    const inFlight = get(runtime, `${victimUrl}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(victimPid, how === 'SIGKILL' ? 'SIGKILL' : 'SIGUSR2');
    const failed = await inFlight;
    t.is(failed.status, 502);
    t.is(((await failed.json()) as { error: { code: string } }).error.code, 'E_EXECUTOR_CRASHED');

    const neighbourAnswer = await get(runtime, `${neighbourUrl}/`);
    t.is(neighbourAnswer.status, 200);
    t.is(await neighbourAnswer.text(), 'ok');
    t.is(executor.pidOf(neighbour), neighbourPid, 'the other process was not touched');

    const again = await get(runtime, `${victimUrl}/`);
    t.is(again.status, 200);
    t.is(await again.text(), 'ok');
    const restartedPid = executor.pidOf(victim);
    t.truthy(restartedPid);
    t.not(restartedPid, victimPid, 'the tenant is served by a new process');
  });
}

test.serial('a hung child (it answers no ping) is killed: its request gets 502, and the tenant answers again from a new child', async (t) => {
  const runtime = quietRuntime({ executor: { mode: 'process', processes: 1, spareIsolates: 0, livenessMs: 400 }, limits: { wallMs: 20_000 } }).use(new IsolatePlugin());
  t.teardown(() => runtime.close());
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test', (record) => void records.push(record));
  const executor = runtime.hooks.executor.call(new Lambda({ files: {}, handler: 'index.js', runtime: 'edge' })) as ProcessExecutor;
  const url = await deployScript(runtime, 'frozen', SLOW_APP);
  t.is(await (await get(runtime, `${url}/`)).text(), 'ok');
  const frozenPid = executor.pidOf('frozen')!;
  // SIGSTOP freezes the child whole, as a main thread blocked for good would: it neither answers nor exits.
  process.kill(frozenPid, 'SIGSTOP');
  const started = performance.now();
  const stuck = await get(runtime, `${url}/`);
  const waitedMs = performance.now() - started;
  t.is(stuck.status, 502);
  t.is(((await stuck.json()) as { error: { code: string } }).error.code, 'E_EXECUTOR_CRASHED');
  t.true(waitedMs < 5_000, `answered after ${Math.round(waitedMs)} ms, not at the 20 s wall limit`);
  t.true(records.some((record) => /answered no ping for \d+ ms; it is hung/.test(record.message)));
  await waitFor(() => !alive(frozenPid), 'the hung process to be gone');
  const again = await get(runtime, `${url}/`);
  t.is(await again.text(), 'ok');
  t.not(executor.pidOf('frozen'), frozenPid);
});

test.serial('a child that logs a catastrophic error is replaced: its requests finish there, new ones go to a new child', async (t) => {
  const { runtime, executor } = await crashing;
  const url = await deployScript(
    runtime,
    'doomed',
    `addEventListener('fetch', (event) => {
      const slow = new URL(event.request.url).pathname === '/slow';
      event.respondWith(slow ? new Promise((resolve) => setTimeout(() => resolve(new Response('finished')), 1500)) : new Response('ok'));
    });`,
  );
  t.is(await (await get(runtime, `${url}/`)).text(), 'ok');
  const doomedPid = executor.pidOf('doomed')!;
  const inFlight = get(runtime, `${url}/slow`);
  await new Promise((resolve) => setTimeout(resolve, 150));
  process.kill(doomedPid, 'SIGHUP');
  await waitFor(() => executor.pidOf('doomed') !== doomedPid, 'the replacement');
  const fresh = await get(runtime, `${url}/`);
  t.is(await fresh.text(), 'ok');
  t.not(executor.pidOf('doomed'), doomedPid);
  const finished = await inFlight;
  t.is(finished.status, 200, 'the request in flight finished in the old process');
  t.is(await finished.text(), 'finished');
  await waitFor(() => !alive(doomedPid), 'the old process to stop');
  t.pass();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.serial('a child dying while a response body streams errors the body with E_EXECUTOR_CRASHED', async (t) => {
  const { runtime, executor } = await crashing;
  const url = await deployScript(
    runtime,
    'trickle',
    moduleScript(`{
      fetch() {
        let n = 0;
        const body = new ReadableStream({
          async pull(controller) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            controller.enqueue(new TextEncoder().encode('chunk ' + n++ + '\\n'));
          },
        });
        return new Response(body);
      },
    }`),
  );
  const response = await get(runtime, `${url}/`);
  t.is(response.status, 200);
  const reader = response.body!.getReader();
  t.regex(new TextDecoder().decode((await reader.read()).value), /^chunk 0/);
  process.kill(executor.pidOf('trickle')!, 'SIGKILL');
  const error = await t.throwsAsync(async () => {
    for (;;) if ((await reader.read()).done) break;
  });
  t.is((error as { code?: string }).code, 'E_EXECUTOR_CRASHED');
});

test('bodies stream both ways across the process boundary, in order and whole', async (t) => {
  const { runtime } = await healthy;
  const url = await deployScript(
    runtime,
    'echo',
    moduleScript(`{
      async fetch(request) {
        if (request.method === 'POST') {
          const bytes = new Uint8Array(await request.arrayBuffer());
          let sum = 0;
          for (const b of bytes) sum = (sum + b) % 65521;
          return Response.json({ length: bytes.length, sum });
        }
        const total = Number(new URL(request.url).searchParams.get('kib'));
        let sent = 0;
        return new Response(new ReadableStream({
          pull(controller) {
            if (sent === total) return controller.close();
            controller.enqueue(new Uint8Array(1024).fill(sent % 251));
            sent++;
          },
        }));
      },
    }`),
  );
  const upload = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < upload.length; i++) upload[i] = (i * 7) % 256;
  let sum = 0;
  for (const b of upload) sum = (sum + b) % 65521;
  // A streamed request body (no length known ahead), as an adapter hands it over.
  const streamed = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < upload.length; at += 100_000) controller.enqueue(Uint8Array.prototype.slice.call(upload, at, at + 100_000));
      controller.close();
    },
  });
  const posted = await runtime.fetch(new Request(`${url}/`, { method: 'POST', body: streamed, duplex: 'half' } as RequestInit));
  const answer = await posted.text();
  t.is(posted.status, 200, answer);
  t.deepEqual(JSON.parse(answer), { length: upload.length, sum });

  const download = new Uint8Array(await (await runtime.fetch(new Request(`${url}/?kib=2048`))).arrayBuffer());
  t.is(download.length, 2048 * 1024);
  t.true([0, 1, 250, 251, 2047].every((k) => download[k * 1024] === k % 251 && download[k * 1024 + 1023] === k % 251));
});

test("console output reaches the parent's log hook with the request id, and bindings run in the parent process", async (t) => {
  const { runtime, executor } = await healthy;
  const records: LogRecord[] = [];
  runtime.hooks.log.tap('test:records', (record) => void records.push(record));
  const seen: unknown[] = [];
  runtime.hooks.bindings.tapPromise('test:parent', async (list, { app }) => [
    ...list,
    {
      name: 'PARENT',
      methods: {
        pid: async () => process.pid,
        remember: async (value) => seen.push({ app, value }),
        fail: async () => {
          throw new RangeError('refused by the parent');
        },
      },
      guest: `({ pid: () => raw.pid(), remember: (v) => raw.remember(v), fail: () => raw.fail() })`,
    },
  ]);
  const url = await deployScript(
    runtime,
    'logger',
    moduleScript(`{
      async fetch(request, env) {
        console.log('hello from the child', { n: 42 });
        console.warn('careful');
        await env.PARENT.remember({ at: new URL(request.url).pathname, list: [1, 2] });
        let failure;
        try { await env.PARENT.fail(); } catch (error) { failure = error.name + ': ' + error.message; }
        return Response.json({ parentPid: await env.PARENT.pid(), failure });
      },
    }`),
  );
  const response = await get(runtime, `${url}/here`);
  const requestId = response.headers.get('x-request-id');
  const body = (await response.json()) as { parentPid: number; failure: string };
  t.is(body.parentPid, process.pid);
  t.not(executor.pidOf('logger'), process.pid);
  t.is(body.failure, 'RangeError: refused by the parent');
  t.deepEqual(seen, [{ app: 'logger', value: { at: '/here', list: [1, 2] } }]);
  await waitFor(() => records.some((r) => r.message === 'careful'), 'the warn line');
  const hello = records.find((r) => r.app === 'logger' && r.message.startsWith('hello from the child'));
  t.truthy(hello);
  t.is(hello!.level, 'info');
  t.regex(hello!.message, /n: 42/);
  t.is(hello!.requestId, requestId!);
  t.is(records.find((r) => r.message === 'careful')!.level, 'warn');
});

test('a redeploy in process mode switches the app, and the old deployment is released in its child', async (t) => {
  const { runtime } = await healthy;
  const version = (v: string) => `addEventListener('fetch', (e) => e.respondWith(new Response('${v}')));`;
  await runtime.activate(await edgeApp('switch', version('v1')));
  t.is(await (await get(runtime, 'http://switch.test/')).text(), 'v1');
  await runtime.activate(await edgeApp('switch', version('v2')));
  t.is(await (await get(runtime, 'http://switch.test/')).text(), 'v2');
  await runtime.activate(await edgeApp('switch', version('v1')));
  t.is(await (await get(runtime, 'http://switch.test/')).text(), 'v1');
});

test('apps spread over the processes, and an app always lands on the same one', (t) => {
  const names = Array.from({ length: 200 }, (_, i) => `tenant-${i}`);
  const counts = [0, 0, 0, 0];
  for (const name of names) counts[shardOf(name, 4)]!++;
  t.true(counts.every((count) => count > 30), `uneven spread: ${counts.join(', ')}`);
  t.true(names.every((name) => shardOf(name, 4) === shardOf(name, 4)));
  // Growing from 4 to 5 processes moves only the apps the new one takes.
  t.true(names.every((name) => shardOf(name, 5) === 4 || shardOf(name, 5) === shardOf(name, 4)));
});
