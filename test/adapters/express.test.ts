import type { AddressInfo } from 'node:net';
import test from 'ava';
import express, { type ErrorRequestHandler } from 'express';
import { edgeRuntime, type EdgeRuntimeMiddleware } from '../../adapters/express.js';
import { bytesResponse } from '../../core/complete-body.js';
import { VERSION } from '../../core/version.js';
import { originOf, send } from '../helpers/http.js';
import { functionAppsRuntime } from './function-apps.js';

/** An Express host app with its own routes around the middleware, listening on an ephemeral port. */
async function host(t: { teardown(fn: () => unknown): void }, middleware: EdgeRuntimeMiddleware, mountPath = '/'): Promise<string> {
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(mountPath, middleware);
  app.get('/', (_req, res) => void res.send('host app'));
  app.post('/json', express.json(), (req, res) => void res.json({ got: req.body as unknown }));
  const onError: ErrorRequestHandler = (error: { status?: number; code?: string; message: string }, _req, res, _next) => {
    res.status(error.status ?? 500).send(`host error handler: ${error.code} ${error.message}`);
  };
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return originOf(server.address() as AddressInfo);
}

async function echoUrlRuntime(t: { teardown(fn: () => unknown): void }) {
  const runtime = await functionAppsRuntime({
    hello: async (request) => new Response(`hello ${request.method} ${request.url} ${request.body ? await request.text() : ''}`.trim()),
  });
  t.teardown(() => runtime.close());
  return runtime;
}

test('a tenant hostname is answered by its app, with the Server and x-request-id headers', async (t) => {
  const origin = await host(t, edgeRuntime({ runtime: await echoUrlRuntime(t) }));
  const reply = await send(origin, { host: 'hello.localhost', path: '/x?y=1' });
  t.is(reply.status, 200);
  t.is(reply.body, 'hello GET http://hello.localhost/x?y=1');
  t.is(reply.headers.server, `hangar/${VERSION}`);
  t.regex(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  t.is(reply.headers['x-powered-by'], undefined, 'the host framework does not sign a tenant response');
  const posted = await send(origin, { host: 'hello.localhost', method: 'POST', body: 'payload' });
  t.is(posted.body, 'hello POST http://hello.localhost/ payload');
});

test('a hostname no app owns falls through to the host app with its body unread', async (t) => {
  const origin = await host(t, edgeRuntime({ runtime: await echoUrlRuntime(t) }));
  const reply = await send(origin, { host: 'www.example.com' });
  t.is(reply.body, 'host app');
  t.is(reply.headers.server, undefined, 'host responses are not stamped as Hangar responses');
  const json = await send(origin, { host: 'www.example.com', path: '/json', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  t.deepEqual(JSON.parse(json.body), { got: { a: 1 } });
  t.is((await send(origin, { host: 'www.example.com', path: '/missing' })).status, 404);
});

test('mounted under a path, the app still sees the URL the client sent; behind a trusted proxy it sees the forwarded protocol', async (t) => {
  const origin = await host(t, edgeRuntime({ runtime: await echoUrlRuntime(t) }), '/edge');
  t.is((await send(origin, { host: 'hello.localhost', path: '/edge/p' })).body, 'hello GET http://hello.localhost/edge/p');
  const proxied = await send(origin, { host: 'hello.localhost', path: '/edge/p', headers: { 'x-forwarded-proto': 'https' } });
  t.is(proxied.body, 'hello GET https://hello.localhost/edge/p');
});

test('a malformed Host header reaches the host error handler as a 400 HangarError', async (t) => {
  const origin = await host(t, edgeRuntime({ runtime: await echoUrlRuntime(t) }));
  const reply = await send(origin, { host: 'hello.localhost/../admin' });
  t.is(reply.status, 400);
  t.regex(reply.body, /^host error handler: E_BAD_REQUEST .*Host header/);
});

test('runtime options that cannot start pass their error to next(), the host error handler renders it', async (t) => {
  const middleware = edgeRuntime({ apps: '/nonexistent/hangar-apps', logger: { level: 'silent' } });
  t.teardown(() => middleware.close());
  const origin = await host(t, middleware);
  const reply = await send(origin, { host: 'hello.localhost' });
  t.is(reply.status, 500);
  t.regex(reply.body, /E_CONFIG_INVALID .*\/nonexistent\/hangar-apps/);
  await t.throwsAsync(middleware.runtime, { message: /nonexistent/ });
});

test('close() leaves a runtime that was passed in to its owner', async (t) => {
  const runtime = await echoUrlRuntime(t);
  const middleware = edgeRuntime({ runtime });
  t.is(await middleware.runtime, runtime);
  await middleware.close();
  t.is(await (await runtime.fetch(new Request('http://hello.localhost/'))).text(), 'hello GET http://hello.localhost/');
});

test('a complete (bytes) response is written in one head, merged with headers host middleware set, without X-Powered-By', async (t) => {
  const runtime = await functionAppsRuntime({
    bytes: () => bytesResponse(new TextEncoder().encode('bytes'), { headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-shared', 'app']] }),
  });
  t.teardown(() => runtime.close());
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('x-host', 'kept');
    res.setHeader('x-shared', 'host');
    next();
  });
  app.use(edgeRuntime({ runtime }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise<unknown>((resolve) => server.close(resolve)));
  const reply = await send(originOf(server.address() as AddressInfo), { host: 'bytes.localhost' });
  t.is(reply.body, 'bytes');
  t.is(reply.headers['content-length'], '5');
  t.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  t.is(reply.headers['x-host'], 'kept');
  t.is(reply.headers['x-shared'], 'app', 'the app wins over the host for a header both set');
  t.is(reply.headers['x-powered-by'], undefined);
  t.is(reply.headers.server, `hangar/${VERSION}`);
});
