// CompressionStream and DecompressionStream inside an isolate, checked against node:zlib.
import { gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import test from 'ava';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';
import { inIsolate } from './platform-helpers.js';

/** Text that compresses well, long enough to take several zlib buffers. */
const TEXT = 'Hangar streams bytes through zlib on the host. '.repeat(4000);

test('CompressionStream → DecompressionStream round-trips every format, and node:zlib reads what the isolate compressed', async (t) => {
  const { result } = await inIsolate(
    t,
    `const input = new TextEncoder().encode(${JSON.stringify(TEXT)});
     const chunks = (bytes) => [bytes.subarray(0, 10), new Uint8Array(0), bytes.subarray(10, 70000), bytes.subarray(70000)];
     const pipe = async (bytes, stream) => new Uint8Array(await new Response(new ReadableStream({
       start(c) { for (const chunk of chunks(bytes)) c.enqueue(chunk); c.close(); },
     }).pipeThrough(stream)).arrayBuffer());
     const out = {};
     for (const format of ['gzip', 'deflate', 'deflate-raw']) {
       const compressed = await pipe(input, new CompressionStream(format));
       const back = await pipe(compressed, new DecompressionStream(format));
       out[format] = { compressed: Array.from(compressed), roundTrip: new TextDecoder().decode(back) === new TextDecoder().decode(input), smaller: compressed.length < input.length / 10 };
     }
     return out;`,
  );
  const out = result as Record<string, { compressed: number[]; roundTrip: boolean; smaller: boolean }>;
  const read = { gzip: gunzipSync, deflate: inflateSync, 'deflate-raw': inflateRawSync };
  for (const [format, inflate] of Object.entries(read)) {
    t.true(out[format]!.roundTrip, `${format} round trip`);
    t.true(out[format]!.smaller, `${format} compressed`);
    t.is(inflate(Buffer.from(out[format]!.compressed)).toString(), TEXT, `node:zlib reads the isolate's ${format}`);
  }
});

test('the isolate decompresses what node:zlib compressed, and refuses what is not compressed data', async (t) => {
  const gzipped = [...gzipSync(TEXT)];
  const { result } = await inIsolate(
    t,
    `const decompress = (bytes, format) => new Response(new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream(format))).text();
     const fail = (promise) => promise.then(() => 'decompressed', (e) => [e.name, e.message.includes('not valid')]);
     const gzipped = ${JSON.stringify(gzipped)};
     return {
       text: (await decompress(gzipped, 'gzip')) === ${JSON.stringify(TEXT)},
       garbage: await fail(decompress(Array.from(new TextEncoder().encode('not compressed at all')), 'deflate')),
       truncated: await fail(decompress(gzipped.slice(0, 40), 'gzip')),
       trailing: await fail(decompress([...gzipped, 1, 2, 3], 'gzip')),
       format: (() => { try { new CompressionStream('brotli'); return 'made'; } catch (e) { return e.name; } })(),
       chunkType: await new Response(new ReadableStream({ start(c) { c.enqueue('a string'); c.close(); } }).pipeThrough(new CompressionStream('gzip'))).text().then(() => 'compressed', (e) => e.name),
     };`,
  );
  t.deepEqual(result, { text: true, garbage: ['TypeError', true], truncated: ['TypeError', true], trailing: ['TypeError', true], format: 'TypeError', chunkType: 'TypeError' });
});

test('an app can stream a gzip response it compresses as it goes', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'gzipper',
    moduleScript(`{
      fetch() {
        let n = 0;
        const body = new ReadableStream({
          pull(c) { if (n++ < 50) c.enqueue(new TextEncoder().encode('line ' + n + '\\n')); else c.close(); },
        });
        return new Response(body.pipeThrough(new CompressionStream('gzip')), { headers: { 'content-encoding': 'gzip' } });
      },
    }`),
  );
  const response = await runtime.fetch(new Request(base));
  t.is(response.status, 200);
  const expected = Array.from({ length: 50 }, (_, i) => `line ${i + 1}\n`).join('');
  t.is(gunzipSync(Buffer.from(await response.arrayBuffer())).toString(), expected);
});

test('an isolate may keep only a bounded number of compression streams open at once', async (t) => {
  const { result } = await inIsolate(
    t,
    `const open = [];
     const outcomes = [];
     for (let i = 0; i < 17; i++) {
       const stream = new CompressionStream('gzip');
       const writer = stream.writable.getWriter();
       // A pending read lets the transform run (a TransformStream holds writes back until its output is wanted).
       stream.readable.getReader().read().catch(() => undefined);
       open.push(writer);
       outcomes.push(await writer.write(new Uint8Array([i])).then(() => 'open', (e) => e.name));
     }
     await Promise.all(open.slice(0, 4).map((writer) => writer.close()));
     const after = new CompressionStream('gzip');
     after.readable.getReader().read().catch(() => undefined);
     outcomes.push(await after.writable.getWriter().write(new Uint8Array([1])).then(() => 'open', (e) => e.name));
     return outcomes;`,
  );
  t.deepEqual(result, [...Array(16).fill('open'), 'TypeError', 'open']);
});
