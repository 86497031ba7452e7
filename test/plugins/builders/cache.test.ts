import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Keyv from 'keyv';
import type { Builder } from '../../../core/builder.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { FileFsRef } from '../../../core/files/file-fs-ref.js';
import type { Lambda } from '../../../core/files/lambda.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { appDir, buildRuntime, deployOne, runLambda, text } from './fixtures.js';

/** Records every job the host finished, and whether it came from the cache. */
function recordBuilds(runtime: EdgeRuntime): string[] {
  const log: string[] = [];
  runtime.hooks.afterBuild.tap('test', (job, outcome) => void log.push(`${job.entrypoint}:${outcome.cached ? 'hit' : 'built'}`));
  return log;
}

const app = {
  'index.ts': `import { n } from './n';\nexport default { fetch: () => new Response('n=' + n) };\n`,
  'n.ts': 'export const n = 1;\n',
  'public/a.txt': 'a',
  'public/b.txt': 'b',
};

test('a redeploy with no change builds nothing and gives the same deployment', async (t) => {
  const runtime = buildRuntime(t);
  const log = recordBuilds(runtime);
  const dir = await appDir('same', app);
  const first = await deployOne(runtime, dir);
  const second = await deployOne(runtime, dir);
  t.deepEqual(log.sort(), ['index.ts:built', 'index.ts:hit', 'public/a.txt:built', 'public/a.txt:hit', 'public/b.txt:built', 'public/b.txt:hit']);
  t.is(second.id, first.id);
  t.is((second.output.index as Lambda).digest, (first.output.index as Lambda).digest);
  t.is(await (await runLambda(second.output.index as Lambda, new Request('http://same.localhost/'))).text(), 'n=1');
});

test('a change rebuilds the jobs whose fingerprint it changes: static analyze covers one file, the default covers all', async (t) => {
  const runtime = buildRuntime(t);
  const log = recordBuilds(runtime);
  const dir = await appDir('change', app);
  await deployOne(runtime, dir);
  log.length = 0;
  await writeFile(join(dir, 'public/a.txt'), 'a2');
  const next = await deployOne(runtime, dir);
  t.deepEqual(log.sort(), ['index.ts:built', 'public/a.txt:built', 'public/b.txt:hit']);
  t.is(await text(next.output['a.txt'] as FileFsRef), 'a2');
  log.length = 0;
  await writeFile(join(dir, 'n.ts'), 'export const n = 2;\n');
  const third = await deployOne(runtime, dir);
  t.deepEqual(log.sort(), ['index.ts:built', 'public/a.txt:hit', 'public/b.txt:hit']);
  t.is(await (await runLambda(third.output.index as Lambda, new Request('http://change.localhost/'))).text(), 'n=2');
});

test("a builder's analyze is its fingerprint: an equal answer reuses the output without calling build", async (t) => {
  const runtime = buildRuntime(t);
  let builds = 0;
  const builder: Builder = {
    version: 2,
    analyze: async ({ files, entrypoint }) => (await text(files[entrypoint]!)).split('\n')[0]!,
    build: async ({ files, entrypoint }) => {
      builds++;
      return { output: { 'out.txt': new FileBlob({ data: await text(files[entrypoint]!) }) } };
    },
  };
  runtime.hooks.builder.for('first-line').tap('test', () => builder);
  const dir = await appDir('analyzed', { 'hangar.json': JSON.stringify({ builds: [{ src: 'in.txt', use: 'first-line' }] }), 'in.txt': 'v1\nbody' });
  await deployOne(runtime, dir);
  await writeFile(join(dir, 'in.txt'), 'v1\nother body');
  const reused = await deployOne(runtime, dir);
  t.is(builds, 1);
  t.is(await text(reused.output['out.txt'] as FileFsRef), 'v1\nbody', 'the cached output, as analyze promised');
  await writeFile(join(dir, 'in.txt'), 'v2\nbody');
  await deployOne(runtime, dir);
  t.is(builds, 2);
});

/** Two runtimes sharing the `builds` and `blobs` stores, as two hosts sharing Redis would. */
function sharedStores(): (runtime: EdgeRuntime) => void {
  const stores = new Map<string, Keyv>();
  return (runtime) =>
    runtime.hooks.cacheStore.tap({ name: 'test:shared', stage: -1 }, (namespace) => {
      if (!stores.has(namespace)) stores.set(namespace, new Keyv());
      return stores.get(namespace);
    });
}

test("the build cache lives in the cacheStore named builds; prepareCache's files come back in the next build's workPath", async (t) => {
  const share = sharedStores();
  const seen: string[] = [];
  const counter: Builder = {
    version: 2,
    build: async ({ workPath, files, entrypoint }) => {
      const previous = await readFile(join(workPath, '.cache/count'), 'utf8').catch(() => '0');
      const count = String(Number(previous) + 1);
      await writeFile(join(workPath, '.cache-count-next'), count);
      seen.push(previous);
      return { output: { 'count.txt': new FileBlob({ data: `${count} ${await text(files[entrypoint]!)}` }) } };
    },
    prepareCache: async ({ workPath }) => ({ '.cache/count': new FileFsRef({ fsPath: join(workPath, '.cache-count-next') }) }),
  };
  const runtimes = [buildRuntime(t), buildRuntime(t), buildRuntime(t)];
  for (const runtime of runtimes) {
    share(runtime);
    runtime.hooks.builder.for('counter').tap('test', () => counter);
  }
  const dir = await appDir('counted', { 'hangar.json': JSON.stringify({ builds: [{ src: 'in.txt', use: 'counter' }] }), 'in.txt': 'x' });
  const first = await deployOne(runtimes[0]!, dir);
  const hit = await deployOne(runtimes[1]!, dir);
  t.deepEqual(seen, ['0'], 'the second host reused the first host build');
  t.is(hit.id, first.id);
  t.is(await text(hit.output['count.txt'] as FileFsRef), '1 x');
  await writeFile(join(dir, 'in.txt'), 'y');
  const rebuilt = await deployOne(runtimes[2]!, dir);
  t.deepEqual(seen, ['0', '1'], 'a fresh workPath got the prepared cache of the last build');
  t.is(await text(rebuilt.output['count.txt'] as FileFsRef), '2 y');
});

test('in dev, jobs a change does not touch are reused; changes seen by a failed build are rebuilt by the next one', async (t) => {
  const runtime = buildRuntime(t);
  const log = recordBuilds(runtime);
  const dir = await appDir('dev', app);
  await deployOne(runtime, dir);
  log.length = 0;
  await writeFile(join(dir, 'public/a.txt'), 'a2');
  await writeFile(join(dir, 'index.ts'), 'export default {');
  await t.throwsAsync(runtime.deploy(dir, { isDev: true, filesChanged: ['public/a.txt', 'index.ts'] }));
  await writeFile(join(dir, 'index.ts'), app['index.ts']);
  log.length = 0;
  const [fixed] = await runtime.deploy(dir, { isDev: true, filesChanged: ['index.ts'] });
  // index.ts: its default fingerprint covers a.txt too; a.txt: the failed build had built it; b.txt: not even looked up.
  t.deepEqual(log.sort(), ['index.ts:built', 'public/a.txt:hit']);
  t.is(await text(fixed!.output['a.txt'] as FileFsRef), 'a2');
});
