import test from 'ava';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Builder } from '../../../core/builder.js';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { shaDigest } from '../../../core/files/blob-store.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { createLambda, Lambda } from '../../../core/files/lambda.js';
import type { FileRef } from '../../../core/files/file-ref.js';
import { Tokens } from '../../../core/tokens.js';
import { appDir, buildRuntime, deployOne, runLambda, text } from './fixtures.js';

const moduleApp = {
  'index.ts': `import { greet } from './lib/greet';\nexport default { fetch(request: Request, env: { WHO: string }) { return new Response(greet(env.WHO, new URL(request.url).pathname)); } };\n`,
  'lib/greet.ts': 'export const greet = (who: string, path: string): string => `hello ${who} at ${path}`;\n',
  'public/index.html': '<h1>home</h1>\n',
  'public/css/site.css': 'body { color: red }\n',
};

test('a zero-config app builds its index.ts into an edge Lambda and public/** into FileRefs in the blob store', async (t) => {
  const runtime = buildRuntime(t);
  const deployment = await deployOne(runtime, await appDir('shop', moduleApp));
  t.deepEqual(Object.keys(deployment.output).sort(), ['css/site.css', 'index', 'index.html']);
  const blobs = runtime.container.resolve(Tokens.BlobStore);
  for (const [path, source] of [['css/site.css', 'public/css/site.css'], ['index.html', 'public/index.html']] as const) {
    const file = deployment.output[path] as FileRef;
    t.is(file.type, 'FileRef');
    t.is(file.digest, shaDigest(moduleApp[source]));
    t.is((await blobs.get(file.digest)).toString(), moduleApp[source]);
  }
  const lambda = deployment.output.index as Lambda;
  t.true(lambda instanceof Lambda);
  t.is(lambda.runtime, 'edge');
  t.is(lambda.handler, 'index.js');
  t.regex(lambda.digest ?? '', /^sha:[0-9a-f]{64}$/);
  const response = await runLambda(lambda, new Request('http://shop.localhost/cart'), { WHO: 'ann' });
  t.is(await response.text(), 'hello ann at /cart');
  const css = await runtime.fetch(new Request('http://shop.localhost/css/site.css'));
  t.is(css.status, 200);
  t.is(await css.text(), moduleApp['public/css/site.css']);
  t.is(await (await runtime.fetch(new Request('http://shop.localhost/'))).text(), moduleApp['public/index.html']);
});

test('the edge bundle is one classic script with a source map beside it; service-worker apps work too', async (t) => {
  const runtime = buildRuntime(t);
  const deployment = await deployOne(
    runtime,
    await appDir('sw', { 'index.js': `import { shout } from './shout.js';\naddEventListener('fetch', (event) => event.respondWith(new Response(shout('hi'))));\n`, 'shout.js': 'export const shout = (s) => s.toUpperCase() + "!";\n' }),
  );
  const lambda = deployment.output.index as Lambda;
  t.deepEqual(Object.keys(lambda.files).sort(), ['index.js', 'index.js.map']);
  const script = await text(lambda.files['index.js']!);
  t.regex(script, /^var __hangar_entry__ = \(\(\) => \{/);
  t.notRegex(script, /^\s*(import|export)\s/m, 'no module syntax is left');
  t.regex(script, /\/\/# sourceMappingURL=index\.js\.map\n$/);
  const map = JSON.parse(await text(lambda.files['index.js.map']!)) as { sources: string[]; mappings: string };
  t.deepEqual(map.sources.sort(), ['index.js', 'shout.js']);
  t.is(await (await runLambda(lambda, new Request('http://sw.localhost/'))).text(), 'HI!');
});

test('a bundling error fails the deploy with E_BUILD_FAILED naming the app, builder, file and line', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('broken', { 'index.ts': 'export default {\n  fetch() { return new Response(\n};\n' });
  const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILD_FAILED);
  t.regex(error?.message ?? '', /app broken: builder edge failed on index\.ts: index\.ts:3:1: /);
  t.like(error?.details, { app: 'broken', builder: 'edge', entrypoint: 'index.ts', file: 'index.ts', line: 3 });
  t.like(runtime.apps()[0], { name: 'broken', status: 'failed' });
});

test('an unknown builder fails the deploy with E_BUILDER_UNKNOWN naming it', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('odd', { 'hangar.json': JSON.stringify({ builds: [{ src: 'x.md', use: 'hangar-builder-nope' }] }), 'x.md': '# x' });
  const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILDER_UNKNOWN);
  t.regex(error?.message ?? '', /app odd: unknown builder "hangar-builder-nope"/);
});

test('a builder that throws rejects the deploy and the previous deployment keeps serving', async (t) => {
  const runtime = buildRuntime(t);
  let fail = false;
  runtime.hooks.builder.for('flaky').tap('test', () => ({
    version: 2,
    build: ({ files, entrypoint }) => {
      if (fail) throw new Error('out of ink');
      return { output: { 'page.txt': files[entrypoint]! } };
    },
  }));
  const dir = await appDir('flaky', { 'hangar.json': JSON.stringify({ builds: [{ src: 'page.txt', use: 'flaky' }] }), 'page.txt': 'v1' });
  const first = await deployOne(runtime, dir);
  fail = true;
  await writeFile(join(dir, 'page.txt'), 'v2');
  const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILD_FAILED);
  t.is(error?.message, 'app flaky: builder flaky failed on page.txt: out of ink');
  const [info] = runtime.apps();
  t.like(info, { name: 'flaky', status: 'active', deploymentId: first.id, error: { code: ErrorCode.BUILD_FAILED } });
  t.is(await (await runtime.fetch(new Request('http://flaky.localhost/page.txt'))).text(), 'v1');
});

const wrongShapes: [string, unknown, RegExp][] = [
  ['nothing', undefined, /build\(\) returned undefined/],
  ['no output', { routes: [] }, /returned no "output"/],
  ['a string file', { output: { 'a.txt': 'hello' } }, /output "a\.txt" is string, not a File or a Lambda/],
  ['an unknown type', { output: { 'a.txt': { type: 'Blob', mode: 0o100644, toStream() {} } } }, /has type "Blob"/],
  ['a path that climbs', { output: { '../x': new FileBlob({ data: '' }) } }, /output path "\.\.\/x" is not a relative path/],
  ['a hand-made Lambda', { output: new Lambda({ files: {}, handler: 'a', runtime: 'edge' }) }, /was not made by createLambda/],
  ['a bad route', { output: {}, routes: [{ src: '(' }] }, /routes\[0\] "src" is not a valid regular expression/],
  ['bad watch', { output: {}, watch: 'x' }, /"watch" must be an array/],
];

for (const [name, result, message] of wrongShapes) {
  test(`a build result with ${name} fails with E_BUILD_FAILED`, async (t) => {
    const runtime = buildRuntime(t);
    runtime.hooks.builder.for('shape').tap('test', () => ({ version: 3, build: () => result as never }));
    const dir = await appDir('shape', { 'hangar.json': JSON.stringify({ builds: [{ src: 'in.txt', use: 'shape' }] }), 'in.txt': '' });
    const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
    t.is(error?.code, ErrorCode.BUILD_FAILED);
    t.regex(error?.message ?? '', /^app shape: builder shape failed on in\.txt: /);
    t.regex(error?.message ?? '', message);
  });
}

test('each file a glob matches is its own job; a v3 Lambda lands at its entrypoint without the extension', async (t) => {
  const runtime = buildRuntime(t);
  const seen: string[] = [];
  runtime.hooks.builder.for('fn').tap('test', () => ({
    version: 3,
    build: async ({ entrypoint, config }) => {
      seen.push(entrypoint);
      return { output: await createLambda({ files: { 'h.js': new FileBlob({ data: `${entrypoint} ${String(config.flavour)}` }) }, handler: 'h.js', runtime: 'edge' }) };
    },
  }));
  const dir = await appDir('api', {
    'hangar.json': JSON.stringify({ builds: [{ src: 'api/*.ts', use: 'fn', config: { flavour: 'mint' } }] }),
    'api/user.ts': '',
    'api/cart.ts': '',
    'api/nested/deep.ts': '',
  });
  const deployment = await deployOne(runtime, dir);
  t.deepEqual(seen.sort(), ['api/cart.ts', 'api/user.ts']);
  t.deepEqual(Object.keys(deployment.output).sort(), ['api/cart', 'api/user']);
  t.is(await text((deployment.output['api/user'] as Lambda).files['h.js']!), 'api/user.ts mint');
});

test('File outputs keep their content type and mode in the blob store; the lifecycle hooks see each job', async (t) => {
  const runtime = buildRuntime(t);
  const events: string[] = [];
  runtime.hooks.beforeBuild.tap('test', (job) => void events.push(`before ${job.use} ${job.entrypoint}`));
  runtime.hooks.afterBuild.tap('test', (job, outcome) => void events.push(`after ${job.entrypoint} cached=${outcome.cached}`));
  runtime.hooks.builder.for('typed').tap('test', () => ({
    version: 2,
    build: () => ({ output: { feed: new FileBlob({ data: '<rss/>', contentType: 'application/rss+xml', mode: 0o100600 }) } }),
  }));
  const dir = await appDir('typed', { 'hangar.json': JSON.stringify({ builds: [{ src: 'feed.src', use: 'typed' }] }), 'feed.src': '' });
  const deployment = await deployOne(runtime, dir);
  const feed = deployment.output.feed as FileRef;
  t.is(feed.type, 'FileRef');
  t.is(feed.contentType, 'application/rss+xml');
  t.is(feed.mode, 0o100600);
  t.deepEqual(events, ['before typed feed.src', 'after feed.src cached=false']);
  const response = await runtime.fetch(new Request('http://typed.localhost/feed'));
  t.is(response.headers.get('content-type'), 'application/rss+xml');
  t.is(await response.text(), '<rss/>');
});

test('two jobs that build the same output path fail with both entrypoints named', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('clash', {
    'hangar.json': JSON.stringify({ builds: [{ src: 'a/x.txt', use: 'static', config: { root: 'a' } }, { src: 'b/x.txt', use: 'static', config: { root: 'b' } }] }),
    'a/x.txt': 'a',
    'b/x.txt': 'b',
  });
  const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
  t.regex(error?.message ?? '', /both a\/x\.txt and b\/x\.txt build the output x\.txt/);
});

test('an app with nothing to build says so', async (t) => {
  const runtime = buildRuntime(t);
  const error = await t.throwsAsync(runtime.deploy(await appDir('empty', { 'README.md': 'hi' })), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILD_FAILED);
  t.regex(error?.message ?? '', /app empty has nothing to build/);
});

test('a static symlink serves the app file it points at; one that leaves the app fails the build', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('links', { 'public/real.txt': 'real' });
  await symlink('real.txt', join(dir, 'public/alias.txt'));
  const deployment = await deployOne(runtime, dir);
  t.is(await text(deployment.output['alias.txt'] as FileRef), 'real');
  await mkdir(join(dir, 'public/deep'));
  await symlink('/etc/hostname', join(dir, 'public/deep/host.txt'));
  const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
  t.regex(error?.message ?? '', /symlink .*deep\/host\.txt/);
});

test('builders are found by package name in the app folder node_modules, with or without a version suffix', async (t) => {
  const runtime = buildRuntime(t);
  const builder = `export const version = 2;\nexport async function build({ files, entrypoint }) { return { output: { ['copy-' + entrypoint]: files[entrypoint] } }; }\n`;
  const dir = await appDir('pkg', {
    'hangar.json': JSON.stringify({ builds: [{ src: '*.txt', use: '@acme/copy-builder@1.2.3' }] }),
    'a.txt': 'A',
    'node_modules/@acme/copy-builder/package.json': JSON.stringify({ name: '@acme/copy-builder', version: '1.2.3', type: 'module', exports: { '.': { import: './esm/main.js', require: './cjs.cjs' } } }),
    'node_modules/@acme/copy-builder/esm/main.js': builder,
  });
  const deployment = await deployOne(runtime, dir);
  t.deepEqual(Object.keys(deployment.output), ['copy-a.txt']);
  t.is(await text(deployment.output['copy-a.txt'] as FileRef), 'A');
});

test('a package that is not a builder is refused with what it lacks', async (t) => {
  const runtime = buildRuntime(t);
  const dir = await appDir('notbuilder', {
    'hangar.json': JSON.stringify({ builds: [{ src: '*.txt', use: 'left-pad' }] }),
    'a.txt': 'A',
    'node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.0.0', main: 'index.js' }),
    'node_modules/left-pad/index.js': 'module.exports = (s) => s;\n',
  });
  const error = await t.throwsAsync(runtime.deploy(dir), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.BUILDER_UNKNOWN);
  t.regex(error?.message ?? '', /builder "left-pad" is not a Now Runtime API builder: it exports no build\(\) function/);
});

test('builder routes run as a second pass for the paths that builder serves', async (t) => {
  const runtime = buildRuntime(t);
  const blog: Builder = {
    version: 2,
    build: () => ({
      output: { 'blog/post-1.html': new FileBlob({ data: 'post one' }), 'blog/index.html': new FileBlob({ data: 'blog home' }) },
      routes: [{ src: '/blog/(?<n>\\d+)', dest: '/blog/post-$n.html', headers: { 'x-blog': 'yes' } }],
    }),
    shouldServe: ({ requestPath }) => requestPath.startsWith('blog/'),
  };
  runtime.hooks.builder.for('blog').tap('test', () => blog);
  const dir = await appDir('site', {
    'hangar.json': JSON.stringify({
      builds: [{ src: 'blog.cfg', use: 'blog' }, { src: 'public/**', use: 'static', config: { root: 'public' } }],
      routes: [{ src: '/posts/(.*)', dest: '/blog/$1' }],
    }),
    'blog.cfg': '',
    'public/about.html': 'about',
  });
  const deployment = await deployOne(runtime, dir);
  t.deepEqual(deployment.builderRoutes?.map((g) => g.entrypoint), ['blog.cfg']);
  const post = await runtime.fetch(new Request('http://site.localhost/posts/1'));
  t.is(await post.text(), 'post one');
  t.is(post.headers.get('x-blog'), 'yes');
  const about = await runtime.fetch(new Request('http://site.localhost/about'));
  t.is(await about.text(), 'about');
  t.is(about.headers.get('x-blog'), null, 'paths the builder does not serve skip its routes');
});
