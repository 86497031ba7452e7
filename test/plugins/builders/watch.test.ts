import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WatchEvent } from '../../../core/tokens.js';
import { buildRuntime, writeFiles } from './fixtures.js';

/**
 * Collects watch events. `settled(file)` waits for the next ready/failed event of a rebuild whose batch held `file`
 * (a rebuild may also run for a file checked again with no change; those are skipped).
 */
function events() {
  const seen: WatchEvent[] = [];
  let cursor = 0;
  let waiter: (() => boolean) | undefined;
  return {
    seen,
    onEvent(event: WatchEvent) {
      seen.push(event);
      if (waiter?.()) waiter = undefined;
    },
    skip() {
      cursor = seen.length;
    },
    settled(file: string): Promise<WatchEvent> {
      return new Promise((resolve) => {
        let batch: string[] = [];
        const check = () => {
          while (cursor < seen.length) {
            const event = seen[cursor++]!;
            if (event.type === 'building') batch = event.files;
            else if (batch.includes(file)) return resolve(event), true;
          }
          return false;
        };
        if (!check()) waiter = check;
      });
    },
  };
}

test('runtime.watch deploys every app, rebuilds only the jobs a change touches, and keeps the last good deployment while broken', async (t) => {
  const runtime = buildRuntime(t);
  const apps = await mkdtemp(join(tmpdir(), 'hangar-watch-'));
  t.teardown(() => rm(apps, { recursive: true, force: true }));
  await writeFiles(join(apps, 'shop'), {
    'index.ts': `import { price } from './lib/price';\nexport default { fetch: () => new Response('price ' + price) };\n`,
    'lib/price.ts': 'export const price = 1;\n',
    'unused.ts': 'export const nothing = 0;\n',
    'public/a.txt': 'a1',
    'public/b.txt': 'b1',
  });
  await writeFiles(join(apps, 'blog'), { 'public/index.html': 'blog' });
  const log = events();
  const watching = await runtime.watch(apps, { onEvent: (e) => log.onEvent(e), debounceMs: 30 });
  t.teardown(() => watching.close());
  t.deepEqual(log.seen.filter((e) => e.type !== 'building').map((e) => [e.app, e.type]), [['blog', 'ready'], ['shop', 'ready']]);
  t.like(log.seen.find((e) => e.type === 'ready' && e.app === 'shop'), { built: 3, cached: 0 });
  log.skip();

  const fetchText = async (path: string) => (await runtime.fetch(new Request(`http://shop.localhost${path}`))).text();
  t.is(await fetchText('/a.txt'), 'a1');

  await writeFile(join(apps, 'shop/public/a.txt'), 'a2');
  t.like(await log.settled('public/a.txt'), { type: 'ready', app: 'shop', built: 1, cached: 0 });
  t.is(await fetchText('/a.txt'), 'a2');

  await writeFile(join(apps, 'shop/unused.ts'), 'export const nothing = 1;\n');
  t.like(await log.settled('unused.ts'), { type: 'ready', app: 'shop', built: 0 }, 'a file no build reads rebuilds nothing');

  await writeFile(join(apps, 'shop/lib/price.ts'), 'export const price = 2;\n');
  t.like(await log.settled('lib/price.ts'), { type: 'ready', app: 'shop', built: 1 }, 'the edge job watches the files its bundle read');
  const good = runtime.apps().find((a) => a.name === 'shop')!.deploymentId;

  await writeFile(join(apps, 'shop/lib/price.ts'), 'export const price = ;\n');
  const failed = await log.settled('lib/price.ts');
  t.like(failed, { type: 'failed', app: 'shop', error: { code: 'E_BUILD_FAILED' } });
  t.regex(failed.type === 'failed' ? failed.error.message : '', /lib\/price\.ts:1:\d+/);
  t.like(runtime.apps().find((a) => a.name === 'shop'), { status: 'active', deploymentId: good });
  t.is(await fetchText('/a.txt'), 'a2', 'the last good deployment keeps serving');

  await writeFile(join(apps, 'shop/lib/price.ts'), 'export const price = 3;\n');
  t.like(await log.settled('lib/price.ts'), { type: 'ready', app: 'shop' });
  t.not(runtime.apps().find((a) => a.name === 'shop')!.deploymentId, good);
  t.is(runtime.apps().find((a) => a.name === 'shop')!.error, undefined);
});

test('a burst of changes is one rebuild', async (t) => {
  const runtime = buildRuntime(t);
  const apps = await mkdtemp(join(tmpdir(), 'hangar-watch-'));
  t.teardown(() => rm(apps, { recursive: true, force: true }));
  await writeFiles(join(apps, 'docs'), Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`public/p${i}.txt`, 'v1'])));
  const log = events();
  const watching = await runtime.watch(apps, { onEvent: (e) => log.onEvent(e), debounceMs: 150 });
  t.teardown(() => watching.close());
  log.skip();
  await Promise.all(Array.from({ length: 10 }, (_, i) => writeFile(join(apps, `docs/public/p${i}.txt`), 'v2')));
  t.like(await log.settled('public/p9.txt'), { type: 'ready', built: 10 });
  const building = log.seen.filter((e) => e.type === 'building');
  t.is(building.length, 2, 'the initial build and one rebuild');
  t.is(building[1]?.type === 'building' ? building[1].files.length : 0, 10);
});
