import test from 'ava';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

/**
 * Web-platform behaviour checked differentially: the same code runs in Node (whose globals follow the
 * standards) and inside an isolate, and the two must agree.
 */
const CHECKS = String.raw`
  const results = {};
  const attempt = (fn) => { try { return fn(); } catch (error) { return 'threw ' + error.name; } };
  const bytes = (view) => Array.from(view);

  const encoder = new TextEncoder();
  results.encode = bytes(encoder.encode('héllo € 😀'));
  results.loneSurrogate = bytes(encoder.encode('a\ud800b'));
  const target = new Uint8Array(5);
  results.encodeInto = encoder.encodeInto('a€😀', target);
  results.encodeIntoBytes = bytes(target);
  results.encoding = [encoder.encoding, new TextDecoder('UTF8').encoding];

  results.decode = new TextDecoder().decode(new Uint8Array([0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]));
  results.invalid = new TextDecoder().decode(new Uint8Array([0xff, 0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xe2, 0x82]));
  const streaming = new TextDecoder();
  results.streamed = [streaming.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), streaming.decode(new Uint8Array([0xac, 0x21]))];
  results.fatal = attempt(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0x61, 0x80])));
  results.bom = [new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).length];
  results.unknownLabel = attempt(() => new TextDecoder('klingon'));

  const url = new URL('https://user:pw@EXAMPLE.com:443/a/../b/./c?x=1&y=two words#frag');
  results.url = [url.href, url.origin, url.host, url.pathname, url.search, url.hash, url.username];
  results.relative = new URL('../c?q', 'http://a/b/d/e').href;
  results.idn = new URL('https://münchen.de/straße').href;
  results.badUrl = attempt(() => new URL('not a url'));
  const params = new URLSearchParams('b=2&a=1&a=0&c=%20x+y');
  params.sort();
  params.append('d', 'é&=');
  results.params = [params.toString(), params.getAll('a'), params.get('c'), new URLSearchParams({ k: 'v w' }).toString()];

  const headers = new Headers({ 'Content-Type': ' text/html ' });
  headers.append('Accept', 'a');
  headers.append('accept', 'b');
  headers.append('Set-Cookie', 'one=1');
  headers.append('set-cookie', 'two=2');
  results.headers = [...headers];
  results.headerGet = [headers.get('ACCEPT'), headers.get('missing'), headers.has('content-type'), headers.getSetCookie()];
  results.badHeader = [attempt(() => headers.set('bad name', 'x')), attempt(() => headers.set('x', 'a\nb'))];

  const request = new Request('https://example.com/path?x=1', { method: 'post', headers: { 'x-a': '1' }, body: 'hello' });
  const copy = request.clone();
  results.request = [request.method, request.url, request.headers.get('content-type'), await request.text(), request.bodyUsed, await copy.text()];
  results.custom = new Request('https://example.com/', { method: 'purge' }).method;
  results.getWithBody = attempt(() => new Request('https://example.com/', { body: 'x' }));
  results.relativeRequest = attempt(() => new Request('/relative'));
  results.forbidden = attempt(() => new Request('https://example.com/', { method: 'TRACE' }));
  const rewrapped = new Request(new Request('https://example.com/a', { method: 'PUT', body: 'moved' }), { headers: { 'x-b': '2' } });
  results.rewrapped = [rewrapped.method, rewrapped.headers.get('x-b'), await rewrapped.text()];

  const response = new Response('body', { status: 201, statusText: 'Created', headers: { 'x-r': '1' } });
  results.response = [response.status, response.statusText, response.ok, response.type, response.headers.get('content-type'), response.bodyUsed];
  const cloned = response.clone();
  results.responseText = [await response.text(), response.bodyUsed, await cloned.text(), attempt(() => response.clone())];
  results.used = await response.text().then(() => 'read twice', (error) => 'threw ' + error.name);
  const json = Response.json({ a: [1, null] }, { status: 202 });
  results.json = [json.status, json.headers.get('content-type'), await json.json()];
  const redirect = Response.redirect('https://example.com/next', 301);
  results.redirect = [redirect.status, redirect.headers.get('location'), attempt(() => Response.redirect('https://example.com/', 200))];
  results.badStatus = [attempt(() => new Response(null, { status: 99 })), attempt(() => new Response('x', { status: 204 }))];
  results.error = [Response.error().status, Response.error().type];
  results.empty = [await new Response().text(), new Response().body, new Response(null, { status: 204 }).status];
  results.buffer = Array.from(new Uint8Array(await new Response(new Uint8Array([1, 2, 3])).arrayBuffer()));
  results.params2 = [await new Response(new URLSearchParams('a=1')).text(), new Response(new URLSearchParams('a=1')).headers.get('content-type')];
  const streamed = new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('s1')); c.enqueue(new TextEncoder().encode('s2')); c.close(); } }));
  results.stream = await streamed.text();
  const reader = new Response('via reader').body.getReader();
  const first = await reader.read();
  results.reader = [new TextDecoder().decode(first.value), (await reader.read()).done];
  return results;
`;

test('TextEncoder/Decoder, URL, Headers, Request and Response behave inside the isolate as Node’s do', async (t) => {
  const runtime = isolateRuntime(t);
  const expected = await (new Function(`return (async () => { ${CHECKS} })();`)() as Promise<unknown>);
  const base = await deployScript(runtime, 'platform', moduleScript(`{ async fetch() { return Response.json(await (async () => { ${CHECKS} })()); } }`));
  const response = await runtime.fetch(new Request(base));
  t.is(response.status, 200);
  t.deepEqual(await response.json(), JSON.parse(JSON.stringify(expected)));
});
