import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { writeFiles } from '../plugins/builders/fixtures.js';
import { send } from '../helpers/http.js';

const BIN = fileURLToPath(new URL('../../adapters/bin.js', import.meta.url));

test('hangar dev serves the apps, rebuilds on change, prints build errors and keeps the last good build', async (t) => {
  const apps = await mkdtemp(join(tmpdir(), 'hangar-dev-cli-'));
  t.teardown(() => rm(apps, { recursive: true, force: true }));
  await writeFiles(join(apps, 'shop'), {
    'index.ts': `import { word } from './word';\nexport default { fetch: () => new Response(word) };\n`,
    'word.ts': `export const word: string = 'one';\n`,
  });
  const child = spawn(process.execPath, [BIN, 'dev', apps, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'fatal' } });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  let waiting: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void } | undefined;
  const check = () => {
    const match = waiting && output.slice(waiting.from).match(waiting.re);
    if (match && waiting) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve(match);
    }
  };
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => ((output += chunk), check()));
  const expect = (re: RegExp) => new Promise<RegExpMatchArray>((resolve) => ((waiting = { re, from: output.length, resolve }), check()));
  const origin = (await expect(/listening on (http:\/\/[^\s]+)/))[1]!;
  t.regex(output, /↻ shop: building\n✓ shop: ready in \d+ ms \(1 built, 0 from the build cache\)/);
  const get = async () => (await send(origin, { host: 'shop.localhost' })).body;
  t.is(await get(), 'one');

  let next = expect(/✓ shop: ready/);
  await writeFile(join(apps, 'shop/word.ts'), `export const word: string = 'two';\n`);
  await next;
  t.is(await get(), 'two');

  next = expect(/✗ shop: build failed, the last good build keeps serving\n\s+E_BUILD_FAILED: .*word\.ts:1:\d+/);
  await writeFile(join(apps, 'shop/word.ts'), `export const word: string = ;\n`);
  await next;
  t.is(await get(), 'two');

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.is(code, 0);
});
