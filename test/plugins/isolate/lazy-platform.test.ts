// The platform classes loaded on first use (streams, URL, URLPattern) behave inside the isolate as Node's do.
import test from 'ava';
import { inIsolate, inNode } from './platform-helpers.js';

const IDENTITY = `
  const checks = {};
  class Upper extends TransformStream {
    constructor() { super({ transform: (chunk, controller) => controller.enqueue(chunk.toUpperCase()) }); }
  }
  const upper = new Upper();
  const writer = upper.writable.getWriter();
  writer.write('abc'); writer.close();
  checks.subclass = [upper instanceof TransformStream, upper.readable instanceof ReadableStream, (await upper.readable.getReader().read()).value];
  const stream = new ReadableStream();
  checks.stream = [stream.constructor === ReadableStream, Object.getPrototypeOf(stream) === ReadableStream.prototype, typeof ReadableStream.from, Object.prototype.toString.call(stream)];
  const fromList = [];
  for await (const chunk of ReadableStream.from(['x', 'y'])) fromList.push(chunk);
  checks.from = fromList;
  const url = new URL('https://a.test/p?q=1#h');
  checks.url = [url.constructor === URL, url instanceof URL, url.searchParams instanceof URLSearchParams, url.searchParams.constructor === URLSearchParams, URL.canParse('nope'), url.href];
  checks.strategy = [new CountQueuingStrategy({ highWaterMark: 3 }).highWaterMark, new ByteLengthQueuingStrategy({ highWaterMark: 2 }).size(new Uint8Array(5))];
  return checks;`;

test('streams and URL classes keep their identity, statics and subclassing, as in Node', async (t) => {
  const { result } = await inIsolate(t, IDENTITY);
  const expected = (await inNode(IDENTITY)) as Record<string, unknown>;
  t.deepEqual(result, expected);
});

test('instanceof a platform class is false before anything made one, and structuredClone refuses the lazy classes once loaded', async (t) => {
  const { result } = await inIsolate(
    t,
    `const attempt = (fn) => { try { fn(); return 'cloned'; } catch (e) { return e.name; } };
     const before = [{} instanceof ReadableStream, {} instanceof URL, {} instanceof URLPattern, 'x' instanceof URLSearchParams];
     return {
       before,
       refused: [
         attempt(() => structuredClone(new URL('https://a.test/'))),
         attempt(() => structuredClone(new URLSearchParams('a=1'))),
         attempt(() => structuredClone(new URLPattern({ pathname: '/a' }))),
         attempt(() => structuredClone(new WritableStream())),
       ],
       body: await new Response(new URLSearchParams('a=1&b=2')).text(),
     };`,
  );
  t.deepEqual(result, { before: [false, false, false, false], refused: ['DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError'], body: 'a=1&b=2' });
});
