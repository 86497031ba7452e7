import test from 'ava';
import { bytesResponse, responseParts } from '../../core/complete-body.js';
import { createDeployment, type Deployment } from '../../core/deployment.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { FileBlob } from '../../core/files/file-blob.js';
import { FileRef } from '../../core/files/file-ref.js';
import { createLambda } from '../../core/files/lambda.js';
import type { AppModule } from '../../core/layer.js';
import { headerValue, lazyRequest } from '../../core/lazy-request.js';
import type { Plugin } from '../../core/plugin.js';
import { Tokens } from '../../core/tokens.js';
import { VERSION } from '../../core/version.js';
import { quietRuntime } from '../helpers/kernel.js';

/** An executor that answers with the app name and path, so tests see which deployment served. */
class EchoExecutorPlugin implements Plugin {
  readonly name = 'test:echo-executor';
  released: string[] = [];
  apply(runtime: ReturnType<typeof quietRuntime>): void {
    const executor: Executor = {
      runtime: 'echo',
      dispatch: async (request, target) => {
        const body = `${target.deployment.app} ${new URL(request.url).pathname} ${target.path}`;
        const url = new URL(request.url);
        return new Response(body, { headers: { 'x-deployment': target.deployment.id, 'x-url': url.pathname + url.search } });
      },
      release: async (deployment) => void this.released.push(deployment.id),
      close: async () => undefined,
    };
    runtime.hooks.executor.tap(this.name, (lambda) => (lambda.runtime === 'echo' ? executor : undefined));
    runtime.hooks.activate.tapPromise(this.name, async (_next, previous) => {
      if (previous) await executor.release(previous);
    });
  }
}

async function echoDeployment(app: string, hostnames: string[], marker = ''): Promise<Deployment> {
  const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: `// ${marker}` }) }, handler: 'index.js', runtime: 'echo' });
  return createDeployment({
    app,
    hostnames,
    output: { index: lambda },
    routes: [{ handle: 'filesystem' }, { src: '/.*', dest: '/index' }],
    env: {},
  });
}

test('the hooks object is frozen and holds every hook family of the design', (t) => {
  const runtime = quietRuntime();
  t.true(Object.isFrozen(runtime.hooks));
  for (const name of ['resolveApp', 'resolveLayer', 'resolveSource', 'builder', 'beforeBuild', 'afterBuild', 'cacheStore', 'executor', 'request', 'response', 'error', 'log']) {
    t.truthy((runtime.hooks as Record<string, unknown>)[name], name);
  }
  t.throws(() => {
    (runtime.hooks as unknown as Record<string, unknown>).request = null;
  });
});

test('a plugin is applied once; a second plugin of the same name is refused', (t) => {
  const runtime = quietRuntime();
  let applied = 0;
  const plugin: Plugin = { name: 'test:once', apply: () => void applied++ };
  runtime.use(plugin);
  const error = t.throws(() => runtime.use({ ...plugin }), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.CONFIG_INVALID);
  t.is(applied, 1);
});

test('a request no app owns is not handled (adapters fall through), and fetch answers 404 with a code', async (t) => {
  const runtime = quietRuntime();
  t.teardown(() => runtime.close());
  t.is(await runtime.handle(new Request('http://nobody.localhost/')), undefined);
  const response = await runtime.fetch(new Request('http://nobody.localhost/', { headers: { accept: 'application/json' } }));
  t.is(response.status, 404);
  const body = (await response.json()) as { error: { code: string; requestId: string } };
  t.is(body.error.code, 'E_NOT_FOUND');
  t.regex(body.error.requestId, /^[0-9a-f-]{36}$/);
});

test('an activated deployment answers on its hostnames with the Server and x-request-id headers', async (t) => {
  const runtime = quietRuntime();
  runtime.use(new EchoExecutorPlugin());
  t.teardown(() => runtime.close());
  await runtime.activate(await echoDeployment('shop', ['shop.example.com', '*.shop.test']));
  const response = await runtime.fetch(new Request('http://SHOP.example.com/cart'));
  t.is(response.status, 200);
  t.is(await response.text(), 'shop /cart index');
  t.is(response.headers.get('server'), `hangar/${VERSION}`);
  t.regex(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  t.is(await (await runtime.fetch(new Request('http://eu.shop.test/x'))).text(), 'shop /x index');
  t.is((await runtime.fetch(new Request('http://a.b.shop.test/x'))).status, 404, 'a wildcard matches one label only');
  t.deepEqual(runtime.apps().map((a) => [a.name, a.status]), [['shop', 'active']]);
});

test('activation swaps deployments atomically and releases the previous one', async (t) => {
  const runtime = quietRuntime();
  const echo = new EchoExecutorPlugin();
  runtime.use(echo);
  t.teardown(() => runtime.close());
  const first = await echoDeployment('blog', ['blog.localhost'], 'v1');
  const second = await echoDeployment('blog', ['blog.example.org'], 'v2');
  t.not(first.id, second.id);
  await runtime.activate(first);
  await runtime.activate(second);
  t.deepEqual(echo.released, [first.id]);
  t.is((await runtime.fetch(new Request('http://blog.localhost/'))).status, 404, 'the old hostname no longer serves');
  const response = await runtime.fetch(new Request('http://blog.example.org/'));
  t.is(response.headers.get('x-deployment'), second.id);
});

test('two apps cannot claim one hostname; the first keeps it', async (t) => {
  const runtime = quietRuntime();
  runtime.use(new EchoExecutorPlugin());
  t.teardown(() => runtime.close());
  await runtime.activate(await echoDeployment('a', ['same.localhost']));
  const error = await t.throwsAsync(async () => runtime.activate(await echoDeployment('b', ['same.localhost'])), { instanceOf: HangarError });
  t.is(error?.status, 409);
  t.is(await (await runtime.fetch(new Request('http://same.localhost/'))).text(), 'a / index');
});

test('request and response hooks are waterfalls; the error hook may render failures', async (t) => {
  const runtime = quietRuntime();
  runtime.use(new EchoExecutorPlugin());
  t.teardown(() => runtime.close());
  await runtime.activate(await echoDeployment('w', ['w.localhost']));
  runtime.hooks.request.tap('test:rewrite', (request) => new Request(request.url.replace('/old', '/new'), request));
  runtime.hooks.response.tap('test:stamp', (response) => {
    response.headers.set('x-stamp', 'yes');
    return response;
  });
  const ok = await runtime.fetch(new Request('http://w.localhost/old'));
  t.is(await ok.text(), 'w /new index');
  t.is(ok.headers.get('x-stamp'), 'yes');

  runtime.hooks.error.tap('test:page', (error) => new Response(`custom ${error.code}`, { status: error.status }));
  const missing = await runtime.fetch(new Request('http://nobody.localhost/'));
  t.is(await missing.text(), 'custom E_NOT_FOUND');
});

test('a route to a runtime no executor serves is a clear 500, and static FileRefs are served with ETag and 304', async (t) => {
  const runtime = quietRuntime();
  t.teardown(() => runtime.close());
  const blobs = runtime.container.resolve(Tokens.BlobStore);
  const digest = await blobs.put(new TextEncoder().encode('body { color: red }'));
  const lambda = await createLambda({ files: { 'x.js': new FileBlob({ data: '' }) }, handler: 'x.js', runtime: 'martian' });
  await runtime.activate(
    createDeployment({
      app: 'site',
      hostnames: ['site.localhost'],
      output: { 'style.css': new FileRef({ digest, blobs }), fn: lambda },
      routes: [{ handle: 'filesystem' }, { src: '/fn', dest: '/fn' }],
      env: {},
    }),
  );
  const css = await runtime.fetch(new Request('http://site.localhost/style.css'));
  t.is(css.status, 200);
  t.is(css.headers.get('content-type'), 'text/css; charset=utf-8');
  t.is(await css.text(), 'body { color: red }');
  const etag = css.headers.get('etag')!;
  t.is((await runtime.fetch(new Request('http://site.localhost/style.css', { headers: { 'if-none-match': etag } }))).status, 304);
  const fn = await runtime.fetch(new Request('http://site.localhost/fn'));
  t.is(fn.status, 500);
  t.regex(await fn.text(), /E_EXECUTOR_UNKNOWN.*martian/);
});

test('deploy goes through the BuildHost; a failed build keeps the previous deployment serving', async (t) => {
  const runtime = quietRuntime();
  runtime.use(new EchoExecutorPlugin());
  t.teardown(() => runtime.close());
  let fail = false;
  runtime.container.register(Tokens.BuildHost, {
    useValue: {
      buildApp: async (app: AppModule) => {
        if (fail) throw new Error('syntax error in index.ts');
        return echoDeployment(app.name, app.definition.hostnames ?? []);
      },
    },
  });
  const layer = {
    id: 'sha256-test',
    origin: 'test',
    layer: { projects: { docs: { modules: { app: { kind: 'app' as const, sources: [], hostnames: ['docs.localhost'] } } } } },
  };
  const [deployment] = await runtime.deploy(layer);
  t.is(deployment?.app, 'docs');
  fail = true;
  const error = await t.throwsAsync(runtime.deploy(layer), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILD_FAILED);
  t.is((await runtime.fetch(new Request('http://docs.localhost/'))).status, 200, 'the previous deployment still serves');
  const [info] = runtime.apps();
  t.is(info?.status, 'active');
  t.is(info?.error?.code, ErrorCode.BUILD_FAILED);
});

test('each app gets its own child container: app services are private, root services shared', (t) => {
  const runtime = quietRuntime();
  const a = runtime.appContainer('a');
  const b = runtime.appContainer('b');
  const secret = Symbol('secret');
  a.register(secret, { useValue: 'a-only' });
  t.is(a.resolve(secret), 'a-only');
  t.false(b.isRegistered(secret, true));
  t.is(a.resolve(Tokens.AppName), 'a');
  t.is(b.resolve(Tokens.AppName), 'b');
  t.is(a.resolve(Tokens.Runtime), runtime);
  t.is(runtime.appContainer('a'), a);
});

test('an unknown store URL is a clear error; known namespaces are opened once', (t) => {
  const runtime = quietRuntime({ stores: { default: 'memory:', builds: 'tape://drive' } });
  t.is(runtime.cacheStore('blobs'), runtime.cacheStore('blobs'));
  const error = t.throws(() => runtime.cacheStore('builds'), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.STORE_UNAVAILABLE);
  t.regex(error?.message ?? '', /tape:\/\/drive/);
});

test('app log records go through the log hook', (t) => {
  const runtime = quietRuntime();
  const seen: string[] = [];
  runtime.hooks.log.tap('test:capture', (record) => void seen.push(`${record.app}:${record.level}:${record.message}`));
  runtime.log({ level: 'info', message: 'hello', app: 'x' });
  t.deepEqual(seen, ['x:info:hello']);
});

test('a rewrite that adds a query hands the Lambda the merged query, on the client path', async (t) => {
  const runtime = quietRuntime();
  runtime.use(new EchoExecutorPlugin());
  t.teardown(() => runtime.close());
  const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: '' }) }, handler: 'index.js', runtime: 'echo' });
  await runtime.activate(
    createDeployment({ app: 'q', hostnames: ['q.localhost'], output: { index: lambda }, routes: [{ src: '/item/(?<id>\\d+)', dest: '/index?id=$id' }], env: {} }),
  );
  const response = await runtime.fetch(new Request('http://q.localhost/item/42?lang=en'));
  t.is(response.headers.get('x-url'), '/item/42?lang=en&id=42');
});

test('a proxy route forwards to its URL only when the app allows the private host, with the hop count', async (t) => {
  const { createServer } = await import('node:http');
  const upstream = createServer((req, res) => res.end(`upstream ${req.url} depth=${req.headers['x-hangar-depth']}`));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => upstream.close());
  const port = (upstream.address() as { port: number }).port;
  const runtime = quietRuntime();
  t.teardown(() => runtime.close());
  const proxied = (app: string, allow?: string[]) =>
    createDeployment({
      app,
      hostnames: [`${app}.localhost`],
      output: {},
      routes: [{ src: '/api/(.*)', dest: `http://127.0.0.1:${port}/v1/$1` }],
      env: {},
      ...(allow ? { fetch: { allow } } : {}),
    });
  await runtime.activate(proxied('open', ['127.0.0.1']));
  await runtime.activate(proxied('closed'));
  const ok = await runtime.fetch(new Request('http://open.localhost/api/users?x=1'));
  t.is(await ok.text(), 'upstream /v1/users?x=1 depth=1');
  const refused = await runtime.fetch(new Request('http://closed.localhost/api/users'));
  t.is(refused.status, 502);
  t.regex(await refused.text(), /private and loopback addresses are blocked/);
});

test('a lazy request answered with bytes goes through the kernel without building a Request, signal or Response', async (t) => {
  const runtime = quietRuntime();
  const built: string[] = [];
  runtime.hooks.executor.tap('test:bytes', () => ({
    runtime: 'bytes',
    dispatch: async (request) => bytesResponse(new TextEncoder().encode(`${request.method} ${request.url} ${headerValue(request, 'accept')}`), { headers: [['x-app', 'yes']] }),
    release: async () => undefined,
    close: async () => undefined,
  }));
  t.teardown(() => runtime.close());
  const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: '' }) }, handler: 'index.js', runtime: 'bytes' });
  await runtime.activate(createDeployment({ app: 'lazy', hostnames: ['lazy.localhost'], output: { index: lambda }, routes: [{ src: '/.*', dest: '/index' }], env: {} }));
  const request = lazyRequest({
    method: 'GET',
    url: { href: 'http://lazy.localhost/a?b=1', hostname: 'lazy.localhost', pathname: '/a', search: '?b=1' },
    headers: () => [['accept', 'text/plain']],
    hasBody: false,
    body: () => (built.push('body'), new ReadableStream()),
    signal: () => (built.push('signal'), new AbortController().signal),
  });
  const response = (await runtime.handle(request))!;
  const parts = responseParts(response);
  t.truthy(parts, 'the response was not built');
  t.deepEqual(parts?.headers.map(([name]) => name), ['x-app', 'server', 'x-request-id']);
  t.is(new TextDecoder().decode(parts?.bytes), 'GET http://lazy.localhost/a?b=1 text/plain');
  t.deepEqual(built, [], 'nor was the request');
});
