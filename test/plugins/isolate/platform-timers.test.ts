// setTimeout, setInterval and their clears inside an isolate, driven by the host's clock.
import test from 'ava';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';
import { inIsolate } from './platform-helpers.js';

test('setInterval keeps firing until clearInterval stops it, even when a tick throws', async (t) => {
  const { result, logs } = await inIsolate(
    t,
    `let ticks = 0;
     const args = [];
     const id = setInterval((a, b) => {
       ticks++;
       args.push(a + b);
       if (ticks === 2) throw new Error('tick 2 failed');
       if (ticks === 5) clearInterval(id);
     }, 5, 'x', 'y');
     // Polled rather than slept for a fixed time, so a crowded machine only makes the test slower.
     for (let i = 0; i < 500 && ticks < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
     const atStop = ticks;
     await new Promise((resolve) => setTimeout(resolve, 60));
     return { atStop, later: ticks, args: args.slice(0, 2), id: typeof id };`,
  );
  t.deepEqual(result, { atStop: 5, later: 5, args: ['xy', 'xy'], id: 'number' });
  t.true(logs.some((record) => record.level === 'error' && record.message.startsWith('Uncaught Error: tick 2 failed')));
});

test('an interval started by one request keeps firing between requests, and clearTimeout clears it too', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'ticker',
    moduleScript(`{
      async fetch(request) {
        const action = new URL(request.url).pathname;
        if (action === '/start') globalThis.ticker = { ticks: 0, id: setInterval(() => globalThis.ticker.ticks++, 10) };
        if (action === '/stop') clearTimeout(globalThis.ticker.id);
        return Response.json(globalThis.ticker.ticks);
      }
    }`),
  );
  const ticks = async (path: string) => (await (await runtime.fetch(new Request(`${base}${path}`))).json()) as number;
  t.is(await ticks('/start'), 0);
  await new Promise((resolve) => setTimeout(resolve, 120));
  const running = await ticks('/read');
  t.true(running >= 3, `only ${running} ticks in 120 ms with no request in flight`);
  const stopped = await ticks('/stop');
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.is(await ticks('/read'), stopped);
});

test('timers take extra arguments, share their ids, refuse code strings and report bad delays as 0', async (t) => {
  const { result } = await inIsolate(
    t,
    `const fired = [];
     const a = setTimeout((x) => fired.push(x), 1, 'a');
     const b = setTimeout(() => fired.push('cleared'), 1);
     clearInterval(b);
     setTimeout(() => fired.push('NaN delay'), NaN);
     const interval = setInterval(() => fired.push('never'), 1000);
     clearTimeout(interval);
     await new Promise((resolve) => setTimeout(resolve, 30));
     let code;
     try { setTimeout('fired.push(1)', 1); } catch (e) { code = e.name; }
     return { fired: fired.sort(), distinct: new Set([a, b, interval]).size, code, clearUnknown: clearTimeout(12345) === undefined };`,
  );
  t.deepEqual(result, { fired: ['NaN delay', 'a'], distinct: 3, code: 'TypeError', clearUnknown: true });
});
