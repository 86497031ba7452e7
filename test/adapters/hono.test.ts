import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import test from 'ava';
import { Hono } from 'hono';
import { edgeRuntime } from '../../adapters/hono.js';
import { bytesResponse } from '../../core/complete-body.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { VERSION } from '../../core/version.js';
import { originOf, send } from '../helpers/http.js';
import { functionAppsRuntime } from './function-apps.js';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  return { promise: new Promise<void>((r) => (resolve = r)), resolve };
}

/** A Hono host app with its own routes after the middleware, served by @hono/node-server on an ephemeral port. */
async function host(t: { teardown(fn: () => unknown): void }, runtime: EdgeRuntime): Promise<string> {
  const app = new Hono();
  app.use('*', edgeRuntime({ runtime }));
  app.get('/', (c) => c.text('host app'));
  app.post('/echo', async (c) => c.text(`host got ${await c.req.text()}`));
  const address = await new Promise<AddressInfo>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, resolve);
    t.teardown(() => new Promise((done) => server.close(done)));
  });
  return originOf(address);
}

test('a tenant hostname is answered by its app with the Server and x-request-id headers; others fall through to the host routes', async (t) => {
  const runtime = await functionAppsRuntime({ hello: async (request) => new Response(`hello ${new URL(request.url).pathname} ${await request.text()}`) });
  t.teardown(() => runtime.close());
  const origin = await host(t, runtime);
  const reply = await send(origin, { host: 'hello.localhost', path: '/p', method: 'POST', body: 'data' });
  t.is(reply.status, 200);
  t.is(reply.body, 'hello /p data');
  t.is(reply.headers.server, `hangar/${VERSION}`);
  t.regex(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  t.is((await send(origin, { host: 'www.example.com' })).body, 'host app');
  t.is((await send(origin, { host: 'www.example.com', path: '/echo', method: 'POST', body: 'intact' })).body, 'host got intact');
  t.is((await send(origin, { host: 'www.example.com', path: '/missing' })).status, 404);
});

test('without a server, app.request() goes through the middleware too', async (t) => {
  const runtime = await functionAppsRuntime({ hello: () => new Response('hello') });
  t.teardown(() => runtime.close());
  const app = new Hono().use('*', edgeRuntime({ runtime })).get('/', (c) => c.text('host app'));
  t.is(await (await app.request('http://hello.localhost/')).text(), 'hello');
  t.is(await (await app.request('http://other.localhost/')).text(), 'host app');
});

test('a response streams through Hono; a client that goes away cancels the body and aborts request.signal', async (t) => {
  const firstSeen = deferred();
  const cancelled = deferred();
  const aborted = deferred();
  const runtime = await functionAppsRuntime({
    stream: (request) => {
      request.signal.addEventListener('abort', () => aborted.resolve());
      return new Response(
        new ReadableStream({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode('first'));
            await firstSeen.promise;
            controller.enqueue(new TextEncoder().encode('second'));
          },
          cancel: () => cancelled.resolve(),
        }),
      );
    },
  });
  t.teardown(() => runtime.close());
  const origin = await host(t, runtime);
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    httpRequest(origin, { agent: false, headers: { host: 'stream.localhost' } }, resolve).on('error', reject).end();
  });
  const chunks: string[] = [];
  for await (const chunk of res) {
    chunks.push(String(chunk));
    if (chunks.length === 1) firstSeen.resolve();
    if (chunks.length === 2) break;
  }
  t.deepEqual(chunks, ['first', 'second']);
  await Promise.all([cancelled.promise, aborted.promise]);
});

test('a malformed Host header is refused with 400 before any app runs', async (t) => {
  let calls = 0;
  const runtime = await functionAppsRuntime({ hello: () => (calls++, new Response('hello')) });
  t.teardown(() => runtime.close());
  const origin = await host(t, runtime);
  for (const bad of ['hello.localhost/x', 'user@hello.localhost', 'hel lo.localhost']) {
    t.is((await send(origin, { host: bad })).status, 400, bad);
  }
  t.is(calls, 0);
});

test('a complete (bytes) response reaches the client through Hono like any Response', async (t) => {
  const runtime = await functionAppsRuntime({
    bytes: () => bytesResponse(new TextEncoder().encode('bytes'), { status: 203, headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-app', 'yes']] }),
  });
  t.teardown(() => runtime.close());
  const reply = await send(await host(t, runtime), { host: 'bytes.localhost' });
  t.is(reply.status, 203);
  t.is(reply.body, 'bytes');
  t.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  t.is(reply.headers['x-app'], 'yes');
  t.is(reply.headers.server, `hangar/${VERSION}`);
});
