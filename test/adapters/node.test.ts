import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { VERSION } from '../../core/version.js';
import { createServer as createHttpServer, type IncomingMessage as Incoming, type ServerResponse } from 'node:http';
import { createServer, toRequest, type HangarServer } from '../../adapters/node.js';
import { bytesResponse } from '../../core/complete-body.js';
import { headerPairs, urlParts } from '../../core/lazy-request.js';
import { originOf, send } from '../helpers/http.js';
import { functionAppsRuntime, type AppFunction } from './function-apps.js';

async function serve(t: { teardown(fn: () => Promise<void>): void }, apps: Record<string, AppFunction>): Promise<{ origin: string; server: HangarServer }> {
  const runtime = await functionAppsRuntime(apps);
  const server = await createServer({ runtime });
  t.teardown(async () => {
    await server.close(100);
    await runtime.close();
  });
  return { origin: originOf(await server.listen(0, '127.0.0.1')), server };
}

/** Opens a request and resolves with the response as soon as its headers arrive (the body is left unread). */
function open(origin: string, host: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpRequest(origin, { agent: false, headers: { host } }, resolve).on('error', reject).end();
  });
}

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('a tenant answers by Host header with the Server and x-request-id headers; a host no app owns gets a 404', async (t) => {
  const { origin } = await serve(t, { hello: (request) => new Response(`hello at ${new URL(request.url).pathname}`) });
  const reply = await send(origin, { host: 'hello.localhost', path: '/a/b' });
  t.is(reply.status, 200);
  t.is(reply.body, 'hello at /a/b');
  t.is(reply.headers.server, `hangar/${VERSION}`);
  t.regex(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const other = await send(origin, { host: 'nobody.localhost' });
  t.is(other.status, 404);
  t.regex(other.body, /E_NOT_FOUND/);
});

test('the app sees the URL from Host and the path as sent, every header (repeats joined), and no hop-by-hop headers', async (t) => {
  const { origin } = await serve(t, {
    mirror: (request) => Response.json({ url: request.url, method: request.method, headers: Object.fromEntries(request.headers) }),
  });
  const port = new URL(origin).port;
  const reply = await send(origin, {
    host: `Mirror.localhost:${port}`,
    path: '//evil.example/x?y=1',
    method: 'DELETE',
    headers: { 'x-one': 'a', 'keep-alive': 'timeout=5', 'x-two': 'b' },
  });
  const seen = JSON.parse(reply.body) as { url: string; method: string; headers: Record<string, string> };
  t.is(seen.url, `http://mirror.localhost:${port}//evil.example/x?y=1`, 'a path starting with // stays a path');
  t.is(seen.method, 'DELETE');
  t.is(seen.headers['x-one'], 'a');
  t.is(seen.headers['x-two'], 'b');
  t.false('keep-alive' in seen.headers);
  t.false('connection' in seen.headers);

  const repeated = await new Promise<string>((resolve, reject) => {
    const req = httpRequest(new URL('/', origin), { agent: false, headers: { host: 'mirror.localhost' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.setHeader('x-many', ['1', '2']);
    req.end();
  });
  t.is((JSON.parse(repeated) as { headers: Record<string, string> }).headers['x-many'], '1, 2');
});

test('a malformed Host header is refused with 400 before any app runs', async (t) => {
  let calls = 0;
  const { origin } = await serve(t, { hello: () => (calls++, new Response('hello')) });
  for (const host of ['hello.localhost/x', 'user@hello.localhost', 'hello.localhost:http', 'hel lo.localhost', 'hello\\localhost', 'hello.localhost?x', 'hello.localhost#x', '']) {
    const reply = await send(origin, { host });
    t.is(reply.status, 400, JSON.stringify(host));
    t.regex(reply.body, /E_BAD_REQUEST.*Host/, JSON.stringify(host));
  }
  t.is(calls, 0);
  // HTTP/1.0 may omit Host; the address the client reached stands in (no app owns it here, so a 404, not a 400).
  const socket = connect(Number(new URL(origin).port), '127.0.0.1');
  socket.end('GET / HTTP/1.0\r\n\r\n');
  let raw = '';
  for await (const chunk of socket) raw += chunk;
  t.regex(raw, /^HTTP\/1\.1 404 .*no app serves 127\.0\.0\.1/s);
});

test('each Set-Cookie goes out as its own header line, with the status and other headers as the app set them', async (t) => {
  const { origin } = await serve(t, {
    cookies: () => {
      const headers = new Headers({ 'content-type': 'text/plain', 'x-app': 'yes' });
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2, with a comma; Path=/');
      return new Response('made', { status: 201, statusText: 'Made It', headers });
    },
  });
  const res = await open(origin, 'cookies.localhost');
  res.resume();
  t.is(res.statusCode, 201);
  t.is(res.statusMessage, 'Made It');
  t.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2, with a comma; Path=/']);
  t.is(res.headers['x-app'], 'yes');
});

test('a response body streams: the client reads the first chunk before the app has made the second', async (t) => {
  const firstSeen = deferred();
  const { origin } = await serve(t, {
    slow: () =>
      new Response(
        new ReadableStream({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode('first;'));
            await firstSeen.promise;
            controller.enqueue(new TextEncoder().encode('second'));
            controller.close();
          },
        }),
      ),
  });
  const res = await open(origin, 'slow.localhost');
  const chunks: string[] = [];
  for await (const chunk of res) {
    chunks.push(String(chunk));
    if (chunks.length === 1) firstSeen.resolve();
  }
  t.deepEqual(chunks, ['first;', 'second']);
});

test('a request body streams into the app: it reads the first chunk before the client has sent the rest', async (t) => {
  const appGotFirst = deferred<string>();
  const { origin } = await serve(t, {
    upload: async (request) => {
      const reader = request.body!.getReader();
      const decoder = new TextDecoder();
      const first = await reader.read();
      appGotFirst.resolve(decoder.decode(first.value));
      let rest = '';
      for (let next = await reader.read(); !next.done; next = await reader.read()) rest += decoder.decode(next.value);
      return new Response(`first=${decoder.decode(first.value)} rest=${rest}`);
    },
  });
  const reply = new Promise<string>((resolve, reject) => {
    const req = httpRequest(new URL('/', origin), { method: 'POST', agent: false, headers: { host: 'upload.localhost' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.write('part-one');
    void appGotFirst.promise.then(() => req.end('part-two'));
  });
  t.is(await appGotFirst.promise, 'part-one');
  t.is(await reply, 'first=part-one rest=part-two');
});

test('a client that stops reading stops the app stream being pulled; closing the connection cancels it and aborts request.signal', async (t) => {
  let pulled = 0;
  const cancelled = deferred<void>();
  const aborted = deferred<void>();
  const chunk = new Uint8Array(64 * 1024);
  const { origin } = await serve(t, {
    endless: (request) => {
      request.signal.addEventListener('abort', () => aborted.resolve());
      return new Response(
        new ReadableStream({
          pull(controller) {
            pulled += chunk.byteLength;
            controller.enqueue(chunk);
          },
          cancel: () => cancelled.resolve(),
        }),
      );
    },
  });
  const res = await open(origin, 'endless.localhost');
  res.pause();
  await sleep(300);
  const settled = pulled;
  await sleep(300);
  t.is(pulled, settled, 'nothing more is pulled while the client does not read');
  t.true(settled < 16 * 1024 * 1024, `only socket and stream buffers fill up (${settled} bytes)`);
  res.destroy();
  await Promise.all([cancelled.promise, aborted.promise]);
  t.pass();
});

test('a large POST echoed back streams through both ways without holding the body in memory', async (t) => {
  const { origin } = await serve(t, { echo: (request) => new Response(request.body) });
  const total = 256 * 1024 * 1024;
  const piece = Buffer.alloc(256 * 1024, 7);
  const sent = createHash('sha256');
  const source = Readable.from(
    (function* () {
      for (let offset = 0; offset < total; offset += piece.length) {
        sent.update(piece);
        yield piece;
      }
    })(),
  );
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  t.teardown(() => clearInterval(sampler));
  const received = createHash('sha256');
  let length = 0;
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(new URL('/', origin), { method: 'POST', agent: false, headers: { host: 'echo.localhost' } }, (res) => {
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        received.update(chunk);
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    source.pipe(req);
  });
  clearInterval(sampler);
  t.is(length, total);
  t.is(received.digest('hex'), sent.digest('hex'));
  t.true(peak - baseline < total / 2, `memory grew by ${Math.round((peak - baseline) / 2 ** 20)} MiB for a ${total / 2 ** 20} MiB body`);
});

test('HEAD gets the headers and no body; a body that fails midway cuts the connection instead of ending cleanly', async (t) => {
  const { origin } = await serve(t, {
    broken: (request) =>
      new Response(
        new ReadableStream({
          pull(controller) {
            if (request.method === 'HEAD') return controller.enqueue(new TextEncoder().encode('never sent'));
            controller.enqueue(new TextEncoder().encode('partial'));
            controller.error(new Error('the app failed midway'));
          },
        }),
        { headers: { 'x-kind': 'broken' } },
      ),
  });
  const head = await send(origin, { host: 'broken.localhost', method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.headers['x-kind'], 'broken');
  t.is(head.body, '');
  // The connection may be cut before or after the headers reach the client; it must never look like a complete response.
  const outcome = await new Promise<string>((resolve) => {
    const req = httpRequest(new URL('/', origin), { agent: false, headers: { host: 'broken.localhost' } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve('ended'));
      res.on('error', () => resolve('cut'));
    });
    req.on('error', () => resolve('cut'));
    req.end();
  });
  t.is(outcome, 'cut');
});

/** The fields of an IncomingMessage toRequest reads, for requests no socket could carry. */
function incoming(host: string | undefined, url: string, rawHeaders: string[] = []): Incoming {
  return { method: 'GET', url, headers: host === undefined ? {} : { host }, rawHeaders, socket: { localAddress: '127.0.0.1' } } as unknown as Incoming;
}

test('the request URL and its parts are what the URL parser makes of Host and target, whether or not it had to run', (t) => {
  const res = {} as ServerResponse;
  const hosts = ['hello.localhost', 'hello.localhost:8080', 'Hello.LocalHost', 'hello.localhost:80', 'hello.localhost:080', 'a-b.c-d.example:65535', '127.0.0.1', '127.1:9', '0x7f.1', '[::1]:3000', 'xn--nxasmq6b.example', 'bücher.example', 'example.com.', 'a_b.example', '-lead.example'];
  const targets = ['/', '/a/b?c=d&e', '/p?', '//evil.example/x', '/a/./b/../c', '/.well-known/x', '/%2e%2E/x', "/it's?q='x'", '/sp ace', '/ü?ü', '/a?b?c#d', '/"<>`{}|^[]', '/a\\b?c\\d', '/~user/_x-y.z!$&()*+,;=:@%zz'];
  for (const host of hosts) {
    for (const target of targets) {
      const label = `${host} ${target}`;
      const expected = new URL(`http://${host}${target}`);
      const request = toRequest(incoming(host, target), res);
      t.is(request.url, expected.href, label);
      t.deepEqual(urlParts(request), { href: expected.href, hostname: expected.hostname, pathname: expected.pathname, search: expected.search }, label);
    }
  }
  t.is(toRequest(incoming('secure.example:443', '/'), res, { protocol: 'https' }).url, 'https://secure.example/');
  t.is(toRequest(incoming('secure.example:80', '/'), res, { protocol: 'https' }).url, 'https://secure.example:80/');
  t.throws(() => toRequest(incoming('hello.localhost:99999', '/'), res), { message: /Host header/ });
  t.throws(() => toRequest(incoming('hello.localhost', 'x'), res), { message: /must be a path/ });
});

test('a converted request is a Request whose header list leaves out hop-by-hop and pseudo-headers, in every view of it', async (t) => {
  const req = incoming('hello.localhost', '/x', ['Host', 'hello.localhost', 'X-One', 'a', 'Connection', 'close', 'X-One', 'b', ':path', '/x', 'Keep-Alive', '5']);
  const request = toRequest(req, { closed: false, once: () => undefined } as unknown as ServerResponse);
  t.true(request instanceof Request);
  t.deepEqual(headerPairs(request), [['host', 'hello.localhost'], ['x-one', 'a'], ['x-one', 'b']]);
  t.deepEqual([...request.headers], [['host', 'hello.localhost'], ['x-one', 'a, b']]);
  t.deepEqual([...new Request(request, { method: 'PUT', body: 'x' }).headers], [['content-type', 'text/plain;charset=UTF-8'], ['host', 'hello.localhost'], ['x-one', 'a, b']]);
  t.is(await request.clone().text(), '');
  t.throws(() => toRequest({ ...req, method: 'TRACE' } as Incoming, {} as ServerResponse), { instanceOf: TypeError }, 'methods undici refuses fail up front');
});

/** A bare server converting each request with toRequest and handing it to `handle`. */
async function rawServer(t: { teardown(fn: () => unknown): void }, handle: (request: Request, res: ServerResponse) => void): Promise<string> {
  const server = createHttpServer((req, res) => handle(toRequest(req, res), res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return originOf(server.address() as { port: number });
}

test('request.signal aborts when the client goes away, also when first read after it went; never after a finished response', async (t) => {
  const readBefore = deferred<AbortSignal>();
  const arrivedAfter = deferred<void>();
  const readAfter = deferred<AbortSignal>();
  const finished = deferred<AbortSignal>();
  const origin = await rawServer(t, (request, res) => {
    const path = new URL(request.url).pathname;
    if (path === '/before') return readBefore.resolve(request.signal);
    if (path === '/after') {
      res.once('close', () => setImmediate(() => readAfter.resolve(request.signal)));
      return arrivedAfter.resolve();
    }
    res.end('done');
    res.once('close', () => finished.resolve(request.signal));
  });
  const open = (path: string) => {
    const req = httpRequest(new URL(path, origin), { agent: false });
    req.on('error', () => undefined);
    req.end();
    return req;
  };
  const first = open('/before');
  const before = await readBefore.promise;
  t.false(before.aborted);
  first.destroy();
  await new Promise((resolve) => before.addEventListener('abort', resolve));
  t.is((before.reason as { status?: number }).status, 499);
  const second = open('/after');
  await arrivedAfter.promise;
  second.destroy();
  const after = await readAfter.promise;
  t.true(after.aborted, 'made after the close, it starts aborted');
  t.is((after.reason as { status?: number }).status, 499);
  t.is((await send(origin, { path: '/done' })).body, 'done');
  t.false((await finished.promise).aborted);
});

test('a complete (bytes) response goes out in one head: Set-Cookie lines, status text, Content-Length, hook headers; HEAD has no body', async (t) => {
  const { origin, server } = await serve(t, {
    bytes: () =>
      bytesResponse(new TextEncoder().encode('made'), {
        status: 201,
        statusText: 'Made It',
        headers: [['content-type', 'text/plain'], ['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2, with a comma; Path=/'], ['connection', 'upgrade'], ['x-app', 'yes']],
      }),
  });
  server.runtime.hooks.response.tap('test:hook', (response) => {
    response.headers.set('x-hook', 'seen');
    return response;
  });
  const reply = await send(origin, { host: 'bytes.localhost' });
  t.is(reply.status, 201);
  t.is(reply.body, 'made');
  t.deepEqual(reply.headers['set-cookie'], ['a=1; Path=/', 'b=2, with a comma; Path=/']);
  t.is(reply.headers['content-length'], '4');
  t.is(reply.headers['x-app'], 'yes');
  t.is(reply.headers['x-hook'], 'seen', 'a hook changing the headers after the app answered is written');
  t.is(reply.headers.server, `hangar/${VERSION}`);
  t.is(reply.headers.connection, 'close', 'hop-by-hop headers are the server\'s own');
  const res = await open(origin, 'bytes.localhost');
  res.resume();
  t.is(res.statusMessage, 'Made It');
  const head = await send(origin, { host: 'bytes.localhost', method: 'HEAD' });
  t.is(head.status, 201);
  t.is(head.body, '');
  t.is(head.headers['x-app'], 'yes');
});
