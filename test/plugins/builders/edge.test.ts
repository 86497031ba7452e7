import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import type { Lambda } from '../../../core/files/lambda.js';
import { EdgeRuntime } from '../../../core/runtime.js';
import { BuildersPlugin } from '../../../plugins/builders/index.js';
import { CachePlugin } from '../../../plugins/cache/index.js';
import { LayersPlugin } from '../../../plugins/layers/index.js';
import { appDir, buildRuntime, deployOne, runLambda, text } from './fixtures.js';

test('TypeScript and JSX: elements render to escaped HTML strings a Response can carry', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('jsx', {
    'index.tsx': [
      `import { Card } from './card';`,
      `type Env = { TITLE: string };`,
      `export default {`,
      `  fetch(request: Request, env: Env): Response {`,
      `    const q = new URL(request.url).searchParams.get('q') ?? '';`,
      `    return new Response(<html><body><Card title={env.TITLE}>{q}</Card><br /><input disabled value="a&b" /></body></html>, { headers: { 'content-type': 'text/html' } });`,
      `  },`,
      `};`,
    ].join('\n'),
    'card.tsx': `export const Card = ({ title, children }: { title: string; children?: unknown }) => <><h1 className="t" style={{ fontSize: 2 }}>{title}</h1><p>{children as string}</p></>;\n`,
  });
  const deployment = await deployOne(runtime, dir);
  const response = await runLambda(deployment.output.index as Lambda, new Request('http://jsx.localhost/?q=<script>x</script>'), { TITLE: 'Shop & Co' });
  t.is(
    await response.text(),
    '<html><body><h1 class="t" style="font-size:2">Shop &amp; Co</h1><p>&lt;script&gt;x&lt;/script&gt;</p><br><input disabled value="a&amp;b"></body></html>',
  );
});

test('the source map points a stack frame of the bundle back to the original file and line', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('maps', {
    'index.ts': `import { explode } from './deep/explode';\nexport default { fetch: () => explode() };\n`,
    'deep/explode.ts': `// a comment\n\nexport function explode(): Response {\n  const n: number = 1;\n  throw new Error('boom ' + n);\n}\n`,
  });
  const lambda = (await deployOne(runtime, dir)).output.index as Lambda;
  const context = vm.createContext({ Response });
  vm.runInContext(await text(lambda.files['index.js']!), context, { filename: 'index.js' });
  const entry = (context as unknown as { __hangar_entry__: { default: { fetch(): void } } }).__hangar_entry__;
  const error = t.throws(() => entry.default.fetch());
  const [, line, column] = /index\.js:(\d+):(\d+)/.exec(error?.stack ?? '') ?? [];
  const map = new SourceMap(JSON.parse(await text(lambda.files['index.js.map']!)));
  const original = map.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource: string; originalLine: number };
  t.is(original.originalSource.replace(/^.*?(deep\/explode\.ts)$/, '$1'), 'deep/explode.ts');
  t.is(original.originalLine + 1, 5);
});

/** A module server on 127.0.0.1 whose bodies the test can change. */
async function moduleServer(t: { teardown(fn: () => unknown): void }, bodies: Record<string, string>): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/moved.ts') return void res.writeHead(302, { location: '/lib/mod.ts' }).end();
    const body = bodies[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end('nope');
    res.writeHead(200, { 'content-type': 'application/typescript' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

function httpRuntime(t: { teardown(fn: () => unknown): void }, cacheDir: string, allow = true): EdgeRuntime {
  const runtime = new EdgeRuntime({ logger: { level: 'silent' } });
  runtime.use(new CachePlugin()).use(new LayersPlugin()).use(new BuildersPlugin({ edge: { httpCacheDir: cacheDir, allowHosts: allow ? ['127.0.0.1'] : [] } }));
  t.teardown(() => runtime.close());
  return runtime;
}

test('HTTP imports are fetched at build time and pinned in hangar.lock; later builds work offline from the cache', async (t) => {
  const bodies = { '/lib/mod.ts': `import { suffix } from './suffix.ts';\nexport const shout = (s: string): string => s.toUpperCase() + suffix;\n`, '/lib/suffix.ts': `export const suffix = '!';\n` };
  const { url, server, hits } = await moduleServer(t, bodies);
  const cacheDir = await mkdtemp(join(tmpdir(), 'hangar-http-cache-'));
  const dir = await appDir('remote', { 'index.ts': `import { shout } from '${url}/moved.ts';\nexport default { fetch: () => new Response(shout('hi')) };\n` });
  const first = await deployOne(httpRuntime(t, cacheDir), dir);
  t.is(await (await runLambda(first.output.index as Lambda, new Request('http://remote.localhost/'))).text(), 'HI!');
  t.deepEqual(hits.sort(), ['/lib/mod.ts', '/lib/suffix.ts', '/moved.ts']);
  const lock = JSON.parse(await readFile(join(dir, 'hangar.lock'), 'utf8')) as { version: number; remote: Record<string, string>; redirects: Record<string, string> };
  t.is(lock.version, 1);
  t.deepEqual(Object.keys(lock.remote), [`${url}/lib/mod.ts`, `${url}/lib/suffix.ts`]);
  t.regex(lock.remote[`${url}/lib/mod.ts`]!, /^sha256-[A-Za-z0-9+/]{43}=$/);
  t.deepEqual(lock.redirects, { [`${url}/moved.ts`]: `${url}/lib/mod.ts` }, 'imports relative to a redirected module resolve against where it landed');

  await new Promise((resolve) => server.close(resolve));
  await writeFile(join(dir, 'index.ts'), `import { shout } from '${url}/moved.ts';\nexport default { fetch: () => new Response(shout('offline')) };\n`);
  const offline = await deployOne(httpRuntime(t, cacheDir), dir);
  t.is(await (await runLambda(offline.output.index as Lambda, new Request('http://remote.localhost/'))).text(), 'OFFLINE!');
});

test('an HTTP import whose content no longer matches its pin fails the build', async (t) => {
  const bodies: Record<string, string> = { '/lib/mod.ts': `export const v = 1;\n` };
  const { url } = await moduleServer(t, bodies);
  const dir = await appDir('pinned', { 'index.ts': `import { v } from '${url}/lib/mod.ts';\nexport default { fetch: () => new Response(String(v)) };\n` });
  await deployOne(httpRuntime(t, await mkdtemp(join(tmpdir(), 'hangar-http-cache-'))), dir);
  bodies['/lib/mod.ts'] = `export const v = 666;\n`;
  const error = await t.throwsAsync(deployOne(httpRuntime(t, await mkdtemp(join(tmpdir(), 'hangar-http-cache-'))), dir), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILD_FAILED);
  t.regex(error?.message ?? '', new RegExp(`index\\.ts:1:\\d+: integrity mismatch for ${url}/lib/mod\\.ts: hangar\\.lock pins sha256-`));
  await rm(join(dir, 'hangar.lock'));
  const repinned = await deployOne(httpRuntime(t, await mkdtemp(join(tmpdir(), 'hangar-http-cache-'))), dir);
  t.is(await (await runLambda(repinned.output.index as Lambda, new Request('http://pinned.localhost/'))).text(), '666');
});

test('HTTP imports from loopback are refused unless the host allows that host', async (t) => {
  const { url, hits } = await moduleServer(t, { '/m.js': 'export default 1;' });
  const dir = await appDir('ssrf', { 'index.ts': `import m from '${url}/m.js';\nexport default { fetch: () => new Response(String(m)) };\n` });
  const error = await t.throwsAsync(deployOne(httpRuntime(t, await mkdtemp(join(tmpdir(), 'hangar-http-cache-')), false), dir), { instanceOf: HangarError });
  t.regex(error?.message ?? '', /refused: private and loopback addresses are blocked/);
  t.deepEqual(hits, []);
});
