import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { edgeHandler } from '../../../adapters/node.js';
import { createRuntime } from '../../../core/create-runtime.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

/** A loopback server, closed when the test ends. */
async function serve(t: ExecutionContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => close(server));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Echoes method, path, headers and body as JSON. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
  });
}

/** An app that fetches what the request's ?url= names, and answers the outcome as JSON (a failure included). */
const relay = moduleScript(`{
  async fetch(request) {
    const target = new URL(request.url).searchParams.get('url');
    try {
      const init = request.method === 'POST' ? { method: 'POST', body: request.body, headers: { 'x-from': 'app' } } : { headers: { 'x-from': 'app' } };
      const response = await fetch(target, init);
      return Response.json({ status: response.status, url: response.url, redirected: response.redirected, cookies: response.headers.getSetCookie(), text: await response.text() });
    } catch (error) {
      return Response.json({ error: error.name + ': ' + error.message });
    }
  },
}`);

interface Outcome {
  status?: number;
  url?: string;
  redirected?: boolean;
  cookies?: string[];
  text?: string;
  error?: string;
}

async function relayed(runtime: ReturnType<typeof isolateRuntime>, base: string, target: string, init: RequestInit = {}): Promise<Outcome> {
  const response = await runtime.fetch(new Request(`${base}/?url=${encodeURIComponent(target)}`, init));
  return (await response.json()) as Outcome;
}

test('an app fetches a loopback server its allow-list names: headers, a streamed body and set-cookie go through, and the hop is counted', async (t) => {
  const port = await serve(t, echo);
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'relay', relay, { fetch: { allow: ['127.0.0.1'] } });
  const outcome = await relayed(runtime, base, `http://127.0.0.1:${port}/echo?x=1`, { method: 'POST', body: 'streamed from the client' });
  t.is(outcome.status, 200);
  t.deepEqual(outcome.cookies, ['a=1', 'b=2']);
  const seen = JSON.parse(outcome.text!) as { method: string; url: string; headers: Record<string, string>; body: string };
  t.is(seen.method, 'POST');
  t.is(seen.url, '/echo?x=1');
  t.is(seen.body, 'streamed from the client');
  t.is(seen.headers['x-from'], 'app');
  t.is(seen.headers['x-hangar-depth'], '1');
});

test('without the allow-list, loopback is refused, by literal address and after DNS resolution alike', async (t) => {
  const port = await serve(t, echo);
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'closed', relay);
  for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
    const outcome = await relayed(runtime, base, `http://${host}:${port}/`);
    t.is(outcome.status, undefined, host);
    t.regex(outcome.error ?? '', /refused: .*(private|loopback).*allow-list/, host);
  }
  // The refusal for a name happens after DNS resolution: the allow-list can admit the name.
  const named = await deployScript(runtime, 'named', relay, { fetch: { allow: ['localhost'] } });
  t.is((await relayed(runtime, named, `http://localhost:${port}/`)).status, 200);
  t.regex((await relayed(runtime, named, `http://127.0.0.1:${port}/`)).error ?? '', /refused/);
});

test('redirects are followed hop by hop, each hop meeting the SSRF guard', async (t) => {
  const port = await serve(t, (req, res) => {
    if (req.url === '/hop') return void res.writeHead(302, { location: '/final' }).end();
    if (req.url === '/escape') return void res.writeHead(302, { location: `http://localhost:${port}/final` }).end();
    res.end('landed');
  });
  const runtime = isolateRuntime(t);
  const base = await deployScript(runtime, 'redirected', relay, { fetch: { allow: ['127.0.0.1'] } });
  const followed = await relayed(runtime, base, `http://127.0.0.1:${port}/hop`);
  t.like(followed, { status: 200, text: 'landed', redirected: true, url: `http://127.0.0.1:${port}/final` });
  const escaped = await relayed(runtime, base, `http://127.0.0.1:${port}/escape`);
  t.regex(escaped.error ?? '', /fetch to localhost refused/);
});

test('the per-app fetch timeout applies, and never more than the runtime’s', async (t) => {
  const port = await serve(t, (_req, res) => void setTimeout(() => res.end('late'), 3_000).unref());
  const runtime = isolateRuntime(t, { limits: { fetchTimeoutMs: 5_000 } });
  const base = await deployScript(runtime, 'impatient', relay, { fetch: { allow: ['127.0.0.1'], timeoutMs: 150 } });
  const started = performance.now();
  const outcome = await relayed(runtime, base, `http://127.0.0.1:${port}/`);
  const elapsed = performance.now() - started;
  t.regex(outcome.error ?? '', /timed out after 150 ms/);
  t.true(elapsed < 2_000, `answered after ${Math.round(elapsed)} ms`);

  const capped = isolateRuntime(t, { limits: { fetchTimeoutMs: 150 } });
  const greedy = await deployScript(capped, 'greedy', relay, { fetch: { allow: ['127.0.0.1'], timeoutMs: 60_000 } });
  t.regex((await relayed(capped, greedy, `http://127.0.0.1:${port}/`)).error ?? '', /timed out after 150 ms/);
});

test('a request may make limits.subrequests fetches; the next one fails with an error that names the limit', async (t) => {
  const port = await serve(t, (_req, res) => res.end('ok'));
  const runtime = isolateRuntime(t, { limits: { subrequests: 3 } });
  const base = await deployScript(
    runtime,
    'chatty',
    moduleScript(`{
      async fetch(request) {
        let done = 0;
        try {
          for (let i = 0; i < 5; i++) { await (await fetch('http://127.0.0.1:${port}/')).text(); done++; }
          return new Response('all done');
        } catch (error) {
          return new Response(done + ' then ' + error.message);
        }
      },
    }`),
    { fetch: { allow: ['127.0.0.1'] } },
  );
  const text = await (await runtime.fetch(new Request(base))).text();
  t.regex(text, /^3 then E_LIMIT_SUBREQUESTS: app chatty made more than 3 fetch\(\) calls while handling one request \(limits\.subrequests\)$/);
  // The count is per request: the next request starts again.
  t.regex(await (await runtime.fetch(new Request(base))).text(), /^3 then/);
});

test('an app that fetches itself in a loop is stopped by the recursion guard with 508', async (t) => {
  const runtime = isolateRuntime(t, { limits: { fetchDepth: 3 } });
  const server = createServer(edgeHandler(runtime));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => close(server));
  const { port } = server.address() as AddressInfo;
  await deployScript(
    runtime,
    'ouroboros',
    moduleScript(`{
      async fetch(request) {
        const inner = await fetch(request.url);
        return new Response((await inner.text()) + '<' + request.headers.get('x-hangar-depth'), { status: inner.status });
      },
    }`),
    { fetch: { allow: ['127.0.0.1'] }, hostnames: ['127.0.0.1'] },
  );
  const response = await fetch(`http://127.0.0.1:${port}/`);
  const text = await response.text();
  t.is(response.status, 508, text);
  // Depths 0 to 3 ran the app; the request at depth 4 was refused by the guard before reaching it.
  t.regex(text, /E_LIMIT_DEPTH[\s\S]*<3<2<1<null$/);
});

test('an AbortSignal ends a fetch in flight, and fetch outside a request is refused', async (t) => {
  const port = await serve(t, (_req, res) => void setTimeout(() => res.end('late'), 2_000).unref());
  const runtime = isolateRuntime(t);
  const base = await deployScript(
    runtime,
    'aborter',
    `let atStartup = 'not tried';
    fetch('http://127.0.0.1:${port}/').then(() => (atStartup = 'fetched'), (error) => (atStartup = error.message));
    addEventListener('fetch', (event) => event.respondWith((async () => {
      if (new URL(event.request.url).pathname === '/startup') return new Response(atStartup);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();
      try {
        await fetch('http://127.0.0.1:${port}/', { signal: controller.signal });
        return new Response('not aborted');
      } catch (error) {
        return new Response(error.name + ' after ' + (Date.now() - started < 1000 ? 'less' : 'more') + ' than a second');
      }
    })()));`,
    { fetch: { allow: ['127.0.0.1'] } },
  );
  t.is(await (await runtime.fetch(new Request(base))).text(), 'AbortError after less than a second');
  t.regex(await (await runtime.fetch(new Request(`${base}/startup`))).text(), /can only be called while the app handles a request/);
});

test('hangar.json "fetch" reaches the executor: its allow-list and timeout apply, and a wildcard is refused', async (t) => {
  const port = await serve(t, (_req, res) => res.end('from loopback'));
  const root = await mkdtemp(join(tmpdir(), 'hangar-fetch-'));
  const app = async (name: string, config: unknown) => {
    const dir = join(root, name);
    await mkdir(dir);
    await writeFile(join(dir, 'hangar.json'), JSON.stringify(config));
    await writeFile(join(dir, 'index.ts'), `export default { async fetch() { try { return new Response(await (await fetch('http://127.0.0.1:${port}/')).text()); } catch (error) { return new Response(String(error.message)); } } };`);
    return dir;
  };
  const runtime = await createRuntime({ logger: { level: 'silent' } });
  t.teardown(() => runtime.close());
  const [allowed] = await runtime.deploy(await app('allowed', { fetch: { allow: ['127.0.0.1'], timeoutMs: 2_000 } }));
  t.deepEqual(allowed!.fetch, { allow: ['127.0.0.1'], timeoutMs: 2_000 });
  t.is(await (await runtime.fetch(new Request('http://allowed.localhost/'))).text(), 'from loopback');
  await runtime.deploy(await app('denied', {}));
  t.regex(await (await runtime.fetch(new Request('http://denied.localhost/'))).text(), /refused/);
  const error = await runtime.deploy(await app('wild', { fetch: { allow: ['*.internal'] } })).catch((caught: unknown) => caught as Error & { code?: string });
  t.is((error as { code?: string }).code, 'E_CONFIG_INVALID');
  t.regex((error as Error).message, /fetch\.allow\[0\]: must be a hostname \(no wildcard\)/);
});
