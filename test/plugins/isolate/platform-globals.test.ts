// The WinterTC Minimum Common API globals inside an isolate: all present, and the small ones behave as Node's do.
import test from 'ava';
import { inIsolate, inNode } from './platform-helpers.js';

/** ECMA-429's interfaces and global functions (WebAssembly is withheld: its memory escapes the heap limit). */
const INTERFACES = [
  'AbortController', 'AbortSignal', 'Blob', 'ByteLengthQueuingStrategy', 'CompressionStream', 'CountQueuingStrategy', 'Crypto', 'CryptoKey',
  'CustomEvent', 'DecompressionStream', 'DOMException', 'Event', 'EventTarget', 'File', 'FormData', 'Headers', 'ReadableByteStreamController',
  'ReadableStream', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest', 'ReadableStreamDefaultController', 'ReadableStreamDefaultReader',
  'Request', 'Response', 'SubtleCrypto', 'TextDecoder', 'TextDecoderStream', 'TextEncoder', 'TextEncoderStream', 'TransformStream',
  'TransformStreamDefaultController', 'URL', 'URLPattern', 'URLSearchParams', 'WritableStream', 'WritableStreamDefaultController',
  'WritableStreamDefaultWriter',
];
const FUNCTIONS = ['atob', 'btoa', 'fetch', 'queueMicrotask', 'reportError', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'structuredClone'];

test('every ECMA-429 global is there, defined the way the web defines globals', async (t) => {
  const { result, runtime } = await inIsolate(
    t,
    `const describe = (name) => {
       const d = Object.getOwnPropertyDescriptor(globalThis, name);
       return d ? typeof d.value + (d.writable && d.configurable && !d.enumerable ? '' : ' (bad descriptor)') : 'missing';
     };
     return {
       interfaces: ${JSON.stringify(INTERFACES)}.map(describe),
       functions: ${JSON.stringify(FUNCTIONS)}.map(describe),
       objects: ['console', 'crypto', 'navigator', 'performance'].map(describe),
       wasm: typeof WebAssembly,
       self: self === globalThis,
       userAgent: navigator.userAgent,
       subtle: crypto.subtle instanceof SubtleCrypto && crypto instanceof Crypto,
       illegal: ['AbortSignal', 'CryptoKey', 'SubtleCrypto', 'Crypto'].map((name) => { try { new globalThis[name](); return 'constructed'; } catch (e) { return e.name; } }),
     };`,
  );
  t.deepEqual(result, {
    interfaces: INTERFACES.map(() => 'function'),
    functions: FUNCTIONS.map(() => 'function'),
    objects: ['object', 'object', 'object', 'object'],
    wasm: 'undefined',
    self: true,
    userAgent: `hangar/${runtime.version}`,
    subtle: true,
    illegal: ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
  });
});

test('atob, btoa, DOMException and queueMicrotask behave as Node’s do', async (t) => {
  const body = String.raw`
    const attempt = (fn) => { try { return fn(); } catch (e) { return [e.name, e.code, e instanceof DOMException, e instanceof Error]; } };
    const order = [];
    queueMicrotask(() => order.push('micro'));
    order.push('sync');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const error = new DOMException('gone', 'NotFoundError');
    return {
      btoa: [btoa(''), btoa('f'), btoa('fo'), btoa('foo'), btoa('\u00ff\u00fe\u0000'), attempt(() => btoa('€'))],
      atob: [atob('Zm9v'), atob(' Zm 9v\n'), atob('Zg=='), atob('Zg'), atob(''), attempt(() => atob('Zm9')), attempt(() => atob('Zg=')), attempt(() => atob('Z*9v')), atob('//79')],
      domException: [error.name, error.message, error.code, String(error), error instanceof Error, Object.prototype.toString.call(error), DOMException.NOT_FOUND_ERR, new DOMException('x').name, new DOMException('y', 'AbortError').code, Object.keys(error)],
      order,
      microtaskType: (() => { try { queueMicrotask('nope'); } catch (e) { return e instanceof TypeError; } })(),
    };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('an exception in a microtask or reportError is logged as uncaught, and the request still answers', async (t) => {
  const { result, logs } = await inIsolate(
    t,
    `queueMicrotask(() => { throw new RangeError('from a microtask'); });
     reportError(new TypeError('reported'));
     await new Promise((resolve) => setTimeout(resolve, 5));
     return 'answered';`,
  );
  t.is(result, 'answered');
  const errors = logs.filter((record) => record.level === 'error').map((record) => record.message);
  t.true(errors.some((message) => message.startsWith('Uncaught RangeError: from a microtask')), errors.join('\n'));
  t.true(errors.some((message) => message.startsWith('Uncaught TypeError: reported')), errors.join('\n'));
});

test('performance.now counts from the isolate’s time origin, which is close to Date.now()', async (t) => {
  const before = Date.now();
  const { result } = await inIsolate(
    t,
    `const first = performance.now();
     await new Promise((resolve) => setTimeout(resolve, 30));
     const second = performance.now();
     return { first, second, origin: performance.timeOrigin, json: performance.toJSON().timeOrigin === performance.timeOrigin };`,
  );
  const { first, second, origin, json } = result as { first: number; second: number; origin: number; json: boolean };
  t.true(first >= 0);
  t.true(second - first >= 25, `now() advanced ${second - first} ms over a 30 ms timer`);
  t.true(origin >= before - 1000 && origin <= Date.now(), 'timeOrigin is when the isolate was set up');
  t.true(json);
});

test('structuredClone copies Maps, Sets, Dates, RegExps, errors, typed arrays and cycles as Node’s does', async (t) => {
  const body = String.raw`
    const buffer = new ArrayBuffer(8);
    const a = new Uint8Array(buffer, 2, 4);
    const b = new DataView(buffer);
    a.set([1, 2, 3, 4]);
    const key = { k: 1 };
    const source = {
      map: new Map([[key, 'object key'], ['s', new Date(1700000000000)]]),
      set: new Set([1, 'two', key]),
      date: new Date(86400000),
      regexp: /a+b/gi,
      error: new RangeError('boom'),
      views: [a, b, new Float64Array([1.5, -0])],
      big: 2n ** 70n,
      boxed: [new Number(3), new String('s'), new Boolean(false)],
      sparse: [1, , 3],
      nested: { deep: { deeper: [undefined, null, NaN] } },
    };
    source.self = source;
    const copy = structuredClone(source);
    const [ca, cb, cf] = copy.views;
    a[0] = 99;
    const attempt = (fn) => { try { fn(); return 'cloned'; } catch (e) { return [e.name, e instanceof DOMException]; } };
    return {
      distinct: copy !== source && copy.map !== source.map,
      cycle: copy.self === copy,
      mapKeyIsShared: [...copy.map.keys()][0] === [...copy.set][2],
      map: [...copy.map].map(([k, v]) => [k, v instanceof Date ? v.getTime() : v]),
      set: [...copy.set].length,
      date: copy.date.getTime(),
      regexp: [copy.regexp.source, copy.regexp.flags, copy.regexp.lastIndex],
      error: [copy.error instanceof RangeError, copy.error.name, copy.error.message],
      sharedBuffer: ca.buffer === cb.buffer,
      view: [ca.constructor.name, ca.byteOffset, ca.length, Array.from(ca), cb.byteLength, ca.buffer.byteLength],
      float: [cf.constructor.name, Object.is(cf[1], -0), cf[0]],
      big: copy.big === 2n ** 70n,
      boxed: copy.boxed.map((v) => [typeof v, v.valueOf()]),
      sparse: [copy.sparse.length, 1 in copy.sparse],
      nested: [copy.nested.deep.deeper.length, copy.nested.deep.deeper[0] === undefined, Number.isNaN(copy.nested.deep.deeper[2])],
      refused: [attempt(() => structuredClone(() => 1)), attempt(() => structuredClone(Symbol('s'))), attempt(() => structuredClone({ p: Promise.resolve() })), attempt(() => structuredClone(new WeakMap()))],
      classInstance: (() => { class Point { constructor() { this.x = 1; } get y() { return 2; } } const c = structuredClone(new Point()); return [Object.getPrototypeOf(c) === Object.prototype, c.x, c.y]; })(),
    };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('structuredClone refuses platform objects, keeps Blobs and DOMExceptions, and detaches what it transfers', async (t) => {
  const { result } = await inIsolate(
    t,
    `const attempt = (fn) => { try { fn(); return 'cloned'; } catch (e) { return e.name; } };
     const blob = structuredClone(new Blob(['abc'], { type: 'text/plain' }));
     const file = structuredClone(new File(['x'], 'f.txt', { lastModified: 5 }));
     const error = structuredClone(new DOMException('m', 'DataCloneError'));
     const buffer = new Uint8Array([1, 2, 3]).buffer;
     const moved = structuredClone({ buffer }, { transfer: [buffer] });
     return {
       refused: [attempt(() => structuredClone(new Headers())), attempt(() => structuredClone(new Request('https://a.test/'))), attempt(() => structuredClone(new ReadableStream())), attempt(() => structuredClone(new AbortController().signal))],
       blob: [blob instanceof Blob, blob.type, await blob.text()],
       file: [file instanceof File, file.name, file.lastModified],
       error: [error instanceof DOMException, error.name, error.message, error.code],
       transfer: [buffer.byteLength, Array.from(new Uint8Array(moved.buffer))],
       badTransfer: [attempt(() => structuredClone(1, { transfer: [new Uint8Array(1)] })), attempt(() => { const b = new ArrayBuffer(1); structuredClone(b, { transfer: [b, b] }); })],
     };`,
  );
  t.deepEqual(result, {
    refused: ['DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError'],
    blob: [true, 'text/plain', 'abc'],
    file: [true, 'f.txt', 5],
    error: [true, 'DataCloneError', 'm', 25],
    transfer: [0, [1, 2, 3]],
    badTransfer: ['DataCloneError', 'DataCloneError'],
  });
});

test('console groups indent, and dir, table, count and assert reach the log', async (t) => {
  const { logs } = await inIsolate(
    t,
    `console.group('outer');
     console.log('inside', 1);
     console.groupEnd();
     console.dir({ a: 'x' });
     console.table([1, 2]);
     console.count('hits');
     console.count('hits');
     console.assert(1 === 2, 'math broke');
     console.assert(true, 'never logged');
     return null;`,
  );
  const lines = logs.filter((record) => record.app?.startsWith('platform-')).map((record) => `${record.level} ${record.message}`);
  t.deepEqual(lines, ['info outer', 'info   inside 1', "info { a: \"x\" }", 'info [ 1, 2 ]', 'info hits: 1', 'info hits: 2', 'error Assertion failed math broke']);
});
