// Blob, File, FormData and text streams inside an isolate, as bodies of Requests and Responses, compared with Node's.
import test from 'ava';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';
import { inIsolate, inNode } from './platform-helpers.js';

test('Blob and File behave as Node’s do: parts, types, slices, text, bytes and streams', async (t) => {
  const body = String.raw`
    const part = new Uint8Array([0x61, 0x62, 0x63, 0x64]);
    const blob = new Blob(['héllo ', part.subarray(1, 3), new Blob([' end']), part.buffer], { type: 'Text/Plain;Charset=UTF-8' });
    part[1] = 0x7a;
    const file = new File([blob], 'name.txt', { type: 'text/plain', lastModified: 1234 });
    const chunks = [];
    for await (const chunk of blob.stream()) chunks.push(...chunk);
    return {
      blob: [blob.size, blob.type, await blob.text(), Array.from(new Uint8Array(await blob.arrayBuffer())).length],
      slices: [await blob.slice(0, 5).text(), await blob.slice(-4).text(), await blob.slice(3, 1).text(), blob.slice(1, 3, 'A/B').type, blob.slice().size],
      file: [file.name, file.lastModified, file.size, file.type, file instanceof Blob, Object.prototype.toString.call(file)],
      stream: chunks.length,
      badType: new Blob([], { type: 'ümlaut' }).type,
      notSequence: (() => { try { new Blob('abc'); return 'made'; } catch (e) { return e.name; } })(),
      fileArgs: (() => { try { new File(['x']); return 'made'; } catch (e) { return e.name; } })(),
    };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('FormData keeps its entries in order and round-trips through a multipart Request body, as in Node', async (t) => {
  const body = String.raw`
    const form = new FormData();
    form.append('name', 'first');
    form.append('file', new Blob(['file bytes'], { type: 'application/x-thing' }), 'data.bin');
    form.append('name', 'sec"ond\nline');
    form.append('plain', new Blob(['no name']));
    form.set('solo', '1');
    const order = [...form.keys()];
    form.set('name', 'only');
    const request = new Request('https://example.test/upload', { method: 'POST', body: form });
    const contentType = request.headers.get('content-type');
    const parsed = await request.formData();
    const file = parsed.get('file');
    const urlencoded = await new Response(new URLSearchParams('a=1&b=%20two&a=3')).formData();
    return {
      order,
      afterSet: [...form.keys()],
      getAll: form.getAll('name'),
      has: [form.has('solo'), form.has('nope'), form.get('nope')],
      multipart: contentType.startsWith('multipart/form-data; boundary='),
      parsed: [...parsed.keys()],
      file: [file instanceof File, file.name, file.type, await file.text()],
      plain: [parsed.get('plain').name, await parsed.get('plain').text()],
      urlencoded: [...urlencoded],
      notForm: await new Response('x', { headers: { 'content-type': 'text/plain' } }).formData().then(() => 'parsed', (e) => e.name),
    };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('a multipart upload from the host is parsed by formData() in the isolate, and its FormData reply is read by Node', async (t) => {
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'forms',
    moduleScript(`{
      async fetch(request) {
        const form = await request.formData();
        const file = form.get('upload');
        const reply = new FormData();
        reply.append('greeting', 'hello ' + form.get('who'));
        reply.append('echo', new File([await file.arrayBuffer()], 'echo-' + file.name, { type: file.type }));
        reply.append('size', String(file.size));
        return new Response(reply);
      },
    }`),
  );
  const upload = new FormData();
  upload.append('who', 'wörld');
  upload.append('upload', new Blob([new Uint8Array([0, 1, 2, 255, 13, 10, 45, 45])], { type: 'application/octet-stream' }), 'bytes.bin');
  const response = await runtime.fetch(new Request(base, { method: 'POST', body: upload }));
  t.is(response.status, 200);
  const reply = await response.formData();
  t.is(reply.get('greeting'), 'hello wörld');
  t.is(reply.get('size'), '8');
  const echo = reply.get('echo') as File;
  t.is(echo.name, 'echo-bytes.bin');
  t.is(echo.type, 'application/octet-stream');
  t.deepEqual([...new Uint8Array(await echo.arrayBuffer())], [0, 1, 2, 255, 13, 10, 45, 45]);
});

test('a Blob body carries its type, and Request/Response give bodies back as Blobs', async (t) => {
  const body = String.raw`
    const response = new Response(new Blob(['{"a":1}'], { type: 'application/json' }));
    const blob = await new Request('https://example.test/', { method: 'PUT', body: new Blob(['put']) }).blob();
    const typed = await new Response('text', { headers: { 'content-type': 'Text/HTML; charset=UTF-8' } }).blob();
    return [response.headers.get('content-type'), await response.json(), blob.type, await blob.text(), typed.type];`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('TextEncoderStream and TextDecoderStream split characters across chunks as Node’s do', async (t) => {
  const body = String.raw`
    const euro = new TextEncoder().encode('a€😀b');
    const decoded = [];
    await new ReadableStream({ start(c) { for (const byte of euro) c.enqueue(new Uint8Array([byte])); c.close(); } })
      .pipeThrough(new TextDecoderStream())
      .pipeTo(new WritableStream({ write(chunk) { decoded.push(chunk); } }));
    const encoded = [];
    await new ReadableStream({ start(c) { c.enqueue('x\ud83d'); c.enqueue('\ude00y'); c.enqueue('\ud800'); c.close(); } })
      .pipeThrough(new TextEncoderStream())
      .pipeTo(new WritableStream({ write(chunk) { encoded.push(...chunk); } }));
    const fatal = await new Response(new Blob([new Uint8Array([0xff])]).stream().pipeThrough(new TextDecoderStream('utf-8', { fatal: true }))).text().then(() => 'decoded', (e) => e.name);
    const stream = new TextDecoderStream('utf8', { ignoreBOM: true });
    return { decoded: decoded.join(''), encoded, fatal, fields: [stream.encoding, stream.fatal, stream.ignoreBOM, new TextEncoderStream().encoding] };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('Request has every Fetch field, follows its signal, and error and redirect Responses have immutable headers', async (t) => {
  const { result } = await inIsolate(
    t,
    `const controller = new AbortController();
     const request = new Request('https://example.test/a', { method: 'POST', body: 'x', signal: controller.signal, cache: 'no-store', mode: 'same-origin',
       credentials: 'include', integrity: 'sha256-abc', keepalive: true, referrer: 'https://ref.test/', referrerPolicy: 'origin', redirect: 'manual' });
     const clone = request.clone();
     const rewrapped = new Request(request);
     controller.abort('stop');
     const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.name; } };
     return {
       fields: [request.cache, request.mode, request.credentials, request.integrity, request.keepalive, request.referrer, request.referrerPolicy, request.redirect, request.destination, request.duplex],
       defaults: (({ cache, mode, credentials, referrer, keepalive }) => [cache, mode, credentials, referrer, keepalive])(new Request('https://example.test/')),
       signal: [request.signal !== controller.signal, request.signal.aborted, request.signal.reason, clone.signal.aborted, rewrapped.signal.aborted],
       bad: [attempt(() => new Request('https://example.test/', { mode: 'navigate' })), attempt(() => new Request('https://example.test/', { cache: 'only-if-cached' })),
         attempt(() => new Request('https://example.test/', { signal: {} })), attempt(() => new Request('https://example.test/', { credentials: 'all' }))],
       immutable: [attempt(() => Response.error().headers.set('a', 'b')), attempt(() => Response.redirect('https://example.test/').headers.append('a', 'b')), attempt(() => new Response().headers.set('a', 'b'))],
     };`,
  );
  t.deepEqual(result, {
    fields: ['no-store', 'same-origin', 'include', 'sha256-abc', true, 'https://ref.test/', 'origin', 'manual', '', 'half'],
    defaults: ['default', 'cors', 'same-origin', 'about:client', false],
    signal: [true, true, 'stop', true, true],
    bad: ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
    immutable: ['TypeError', 'TypeError', 'ok'],
  });
});

test('URLPattern matches and captures groups inside the isolate', async (t) => {
  const { result } = await inIsolate(
    t,
    `const pattern = new URLPattern({ pathname: '/books/:id(\\\\d+)/:rest*' });
     const match = pattern.exec('https://example.test/books/42/chapters/7?x=1');
     const host = new URLPattern('https://:sub.example.test/*');
     return {
       test: [pattern.test('https://example.test/books/42'), pattern.test('https://example.test/books/abc')],
       groups: match.pathname.groups,
       host: host.exec('https://api.example.test/v1').hostname.groups.sub,
       pathname: pattern.pathname,
       bad: (() => { try { new URLPattern({ pathname: '/(' }); return 'made'; } catch (e) { return e.name; } })(),
     };`,
  );
  t.deepEqual(result, { test: [true, false], groups: { id: '42', rest: 'chapters/7' }, host: 'api', pathname: '/books/:id(\\d+)/:rest*', bad: 'TypeError' });
});
