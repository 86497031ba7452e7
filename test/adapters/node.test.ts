import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { VERSION } from '../../core/version.js';
import { createServer, type HangarServer } from '../../adapters/node.js';
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
