import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test, { type ExecutionContext } from 'ava';
import { IsolatePlugin } from '../../../plugins/isolate/index.js';
import { quietRuntime } from '../../helpers/kernel.js';
import { deployScript, moduleScript } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
const TOTAL = 100 * MiB;
const CHUNK = 64 * 1024;
/** The most live host memory may rise while 100 MiB stream through (measured: about 8 MiB). */
const HOST_BOUND = 32 * MiB;
/** The isolate's whole memory limit: a body that piled up in it would end in E_LIMIT_MEMORY. */
const ISOLATE_MB = 32;

// These tests measure memory, so they run one at a time.

function setup(t: ExecutionContext, limits = {}) {
  const plugin = new IsolatePlugin();
  const runtime = quietRuntime({ limits: { cpuMs: 30_000, wallMs: 30_000, memoryMb: ISOLATE_MB, ...limits } }).use(plugin);
  t.teardown(() => runtime.close());
  const heap = async () => Math.max(0, ...(await plugin.stats()).map((isolate) => isolate.heapUsedBytes));
  return { runtime, heap };
}

interface Rise {
  /** Live host memory (V8 heap and ArrayBuffers), dead chunks collected at each sample. */
  host: number;
  /** Host RSS, for the log: it keeps malloc's high-water mark, which plain Node streaming shows as well. */
  rss: number;
  /** The isolate's heap and ArrayBuffers, as V8 counts them against its limit (its own GC runs near the limit). */
  isolate: number;
}

function live(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Samples memory every 8 MiB while `work` runs: the peak rise over the baseline taken before it. */
async function peakRise(heap: () => Promise<number>, work: (sample: () => Promise<void>) => Promise<void>): Promise<Rise> {
  gc();
  const base = { host: live(), rss: process.memoryUsage().rss, isolate: await heap() };
  const peak = { ...base };
  // Unforced, V8 lets dead chunks pile up to its external-memory threshold before it collects (plain Node streaming
  // 100 MiB of 64 KiB chunks peaks 25 MiB live, 40 MiB RSS higher); a GC at each sample measures what the stream
  // keeps alive instead.
  const sample = async () => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    gc();
    peak.host = Math.max(peak.host, live());
    peak.isolate = Math.max(peak.isolate, await heap());
  };
  await work(sample);
  await sample();
  return { host: peak.host - base.host, rss: peak.rss - base.rss, isolate: peak.isolate - base.isolate };
}

/** Reads a body to its end, checking each chunk's stamp; samples memory every 128 chunks. */
async function consume(body: ReadableStream<Uint8Array>, sample: () => Promise<void>): Promise<{ bytes: number; ordered: boolean }> {
  let bytes = 0;
  let ordered = true;
  const reader = body.getReader();
  for (let index = 0; ; index++) {
    const { done, value } = await reader.read();
    if (done) return { bytes, ordered };
    if (value[0] !== (bytes / CHUNK) % 256) ordered = false;
    bytes += value.byteLength;
    if (index % 128 === 0) await sample();
  }
}

/** The source of TOTAL bytes in CHUNK pieces, each stamped with its index. */
const SOURCE = `
  let sent = 0;
  const source = {
    pull(controller) {
      if (sent >= ${TOTAL}) return controller.close();
      const chunk = new Uint8Array(${CHUNK});
      chunk[0] = (sent / ${CHUNK}) & 255;
      controller.enqueue(chunk);
      sent += ${CHUNK};
    },
  };`;

function report(t: ExecutionContext, what: string, rise: Rise, started: number, hostBound = HOST_BOUND): void {
  const seconds = (performance.now() - started) / 1000;
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  t.log(`${what}: host live +${mib(rise.host)} MiB (RSS +${mib(rise.rss)}), isolate +${mib(rise.isolate)} MiB of its ${ISOLATE_MB}, ${(TOTAL / MiB / seconds).toFixed(0)} MiB/s`);
  t.true(rise.host < hostBound, `host memory rose ${mib(rise.host)} MiB`);
  t.true(rise.isolate < ISOLATE_MB * MiB, `isolate memory rose ${(rise.isolate / MiB).toFixed(1)} MiB`);
}

for (const type of ['bytes', 'default'] as const) {
  test.serial(`a 100 MiB response streamed from a ${type} stream goes through a 32 MiB isolate and leaves host memory flat`, async (t) => {
    const { runtime, heap } = setup(t);
    const typed = type === 'bytes' ? `source.type = 'bytes';` : '';
    const base = await deployScript(runtime, `gen-${type}`, moduleScript(`{ fetch() { ${SOURCE} ${typed} return new Response(new ReadableStream(source, { highWaterMark: 0 })); } }`));
    // Warm: the isolate exists and the stream code has run, before the baseline is taken.
    await (await runtime.fetch(new Request(base))).body!.cancel();
    const started = performance.now();
    let read = { bytes: 0, ordered: false };
    const rise = await peakRise(heap, async (sample) => {
      const response = await runtime.fetch(new Request(base));
      t.is(response.status, 200);
      read = await consume(response.body!, sample);
    });
    t.deepEqual(read, { bytes: TOTAL, ordered: true });
    report(t, `${type} stream out`, rise, started);
  });
}

test.serial('chunks an app streams out are copied, never detached: the app (or a tee) may still hold them', async (t) => {
  const { runtime } = setup(t);
  const base = await deployScript(
    runtime,
    'holder',
    moduleScript(`{
      async fetch(request) {
        if (new URL(request.url).pathname === '/held') return Response.json(globalThis.held.map((chunk) => chunk.byteLength));
        const chunks = [new Uint8Array(1024), new Uint8Array(2048)];
        globalThis.held = chunks;
        const [mine, theirs] = new ReadableStream({ start(c) { for (const chunk of chunks) c.enqueue(chunk); c.close(); } }).tee();
        globalThis.teed = theirs;
        return new Response(mine);
      },
    }`),
  );
  t.is((await (await runtime.fetch(new Request(base))).arrayBuffer()).byteLength, 3072);
  t.deepEqual(await (await runtime.fetch(new Request(`${base}/held`))).json(), [1024, 2048]);
});

test.serial('a 100 MiB request body streams into a 32 MiB isolate, its chunks moved in without a copy', async (t) => {
  const { runtime, heap } = setup(t, { bodyBytes: 200 * MiB });
  const base = await deployScript(
    runtime,
    'sink',
    moduleScript(`{
      async fetch(request) {
        let bytes = 0, ordered = true;
        const reader = request.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (value[0] !== (bytes / ${CHUNK}) % 256) ordered = false;
          bytes += value.byteLength;
        }
        return Response.json({ bytes, ordered });
      },
    }`),
  );
  await (await runtime.fetch(new Request(base, { method: 'POST', body: 'warm' }))).arrayBuffer();
  const kept: Uint8Array[] = [];
  let result: unknown;
  const started = performance.now();
  const rise = await peakRise(heap, async (sample) => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (sent >= TOTAL) return controller.close();
          const chunk = new Uint8Array(CHUNK);
          chunk[0] = (sent / CHUNK) & 255;
          if (kept.length < 4) kept.push(chunk);
          controller.enqueue(chunk);
          sent += CHUNK;
          if ((sent / CHUNK) % 128 === 0) await sample();
        },
      },
      { highWaterMark: 0 },
    );
    result = await (await runtime.fetch(new Request(base, { method: 'POST', body, duplex: 'half' } as RequestInit))).json();
  });
  t.deepEqual(result, { bytes: TOTAL, ordered: true });
  report(t, 'request body in', rise, started);
  // Transferred, not copied: the host's buffers were detached as they moved into the isolate.
  t.deepEqual(
    kept.map((chunk) => chunk.byteLength),
    [0, 0, 0, 0],
  );
});

test.serial('a 100 MiB fetch() response proxied by an app streams through a 32 MiB isolate', async (t) => {
  const upstream = createServer((_req, res) => {
    let sent = 0;
    const write = () => {
      while (sent < TOTAL) {
        const chunk = Buffer.alloc(CHUNK);
        chunk[0] = (sent / CHUNK) & 255;
        sent += CHUNK;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => (upstream.closeAllConnections(), upstream.close(() => resolve()))));
  const { port } = upstream.address() as AddressInfo;
  const { runtime, heap } = setup(t);
  // The same download without an isolate: the upstream server in this process buffers as it writes, and that counts.
  const plain = await peakRise(async () => 0, async (sample) => void (await consume((await fetch(`http://127.0.0.1:${port}/`)).body!, sample)));
  const base = await deployScript(runtime, 'proxy', moduleScript(`{ fetch() { return fetch('http://127.0.0.1:${port}/'); } }`), { fetch: { allow: ['127.0.0.1'] } });
  await (await runtime.fetch(new Request(base))).body!.cancel();
  const started = performance.now();
  let read = { bytes: 0, ordered: false };
  const rise = await peakRise(heap, async (sample) => {
    read = await consume((await runtime.fetch(new Request(base))).body!, sample);
  });
  // Chunk boundaries are TCP's here, so only the total is checked.
  t.is(read.bytes, TOTAL);
  t.log(`the same download by plain fetch(): host live +${(plain.host / MiB).toFixed(1)} MiB`);
  report(t, 'fetch() proxied', rise, started, plain.host + 16 * MiB);
});

test.serial('request chunks that are slices of a larger buffer reach the app whole, and the sender keeps its bytes', async (t) => {
  const { runtime } = setup(t);
  const origin = await deployScript(runtime, 'slices', moduleScript(`{ async fetch(request) { return new Response(await request.arrayBuffer()); } }`));
  const backing = Buffer.from('abcdefghijklmnopqrstuvwxyz');
  const pieces = [backing.subarray(0, 5), backing.subarray(5, 13), backing.subarray(13)];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  const response = await runtime.fetch(new Request(`${origin}/`, { method: 'POST', body, duplex: 'half' } as RequestInit));
  t.is(response.status, 200);
  t.is(await response.text(), 'abcdefghijklmnopqrstuvwxyz');
  t.is(backing.toString(), 'abcdefghijklmnopqrstuvwxyz', 'no slice was moved out from under its sender');
});

test.serial('a request body that enqueues the same chunk twice fails its read at once, naming the mistake', async (t) => {
  const { runtime } = setup(t);
  const origin = await deployScript(
    runtime,
    'twice',
    moduleScript(`{ async fetch(request) { try { await request.arrayBuffer(); return new Response('read'); } catch (error) { return new Response(error.message, { status: 400 }); } } }`),
  );
  const chunk = new Uint8Array(1024);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(chunk);
      controller.enqueue(chunk);
      controller.close();
    },
  });
  const response = await runtime.fetch(new Request(`${origin}/`, { method: 'POST', body, duplex: 'half' } as RequestInit));
  const text = await response.text();
  t.is(response.status, 400, text);
  t.regex(text, /already handed to the app: enqueue a new Uint8Array for each chunk/);
});
