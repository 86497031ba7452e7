import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { createRuntime } from '../../core/create-runtime.js';
import type { WatchEvent } from '../../core/tokens.js';
import { send } from '../helpers/http.js';

const BIN = fileURLToPath(new URL('../../adapters/bin.js', import.meta.url));
const APPS = fileURLToPath(new URL('../../examples/custom-builder/apps', import.meta.url));

test('hangar serve runs the example: builders found by package name, Markdown pages and an endpoints Lambda', async (t) => {
  const child = spawn(process.execPath, [BIN, 'serve', APPS, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  const listening = new Promise<string>((resolve) => {
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
  });
  const origin = await listening;
  const get = (path: string, method = 'GET') => send(origin, { host: 'docs.localhost', path, method });

  const home = await get('/');
  t.is(home.status, 200);
  t.is(home.headers['content-type'], 'text/html; charset=utf-8');
  t.regex(home.body, /<title>Docs, built by a custom builder<\/title>/);
  t.regex(home.body, /<p>This page was written in <strong>Markdown<\/strong> and turned into HTML by <code>hangar-builder-markdown<\/code>\.<\/p>/);
  t.regex(home.body, /<li>Read the <a href="\/guide\/intro">guide<\/a><\/li>/);
  t.regex((await get('/guide/intro')).body, /<pre><code>npx hangar dev examples\/custom-builder\/apps<\/code><\/pre>/);

  const hello = await get('/api/hello/ann');
  t.is(hello.headers['content-type'], 'application/json');
  t.deepEqual(JSON.parse(hello.body), { hello: 'ann' });
  const echo = await get('/api/echo', 'POST');
  t.is(echo.status, 202);
  t.is(echo.headers['x-endpoint'], 'echo');
  t.is((await get('/api/nope')).status, 404);
  t.regex((await get('/style.css')).body, /max-width: 40rem/);

  child.kill('SIGTERM');
  await once(child, 'exit');
});

test('in dev, editing one page rebuilds that page; a broken .endpoints file says where and keeps the last good build', async (t) => {
  const apps = await mkdtemp(join(tmpdir(), 'hangar-custom-builder-'));
  t.teardown(() => rm(apps, { recursive: true, force: true }));
  await cp(APPS, apps, { recursive: true });
  const runtime = await createRuntime({ logger: { level: 'silent' } });
  t.teardown(() => runtime.close());
  const events: WatchEvent[] = [];
  let notify = () => {};
  const settled = async (file: string): Promise<WatchEvent> => {
    let batch: string[] = [];
    for (let from = 0; ; ) {
      for (; from < events.length; from++) {
        const event = events[from]!;
        if (event.type === 'building') batch = event.files;
        else if (batch.includes(file)) return event;
      }
      await new Promise<void>((resolve) => (notify = resolve));
    }
  };
  const watching = await runtime.watch(apps, { debounceMs: 30, onEvent: (event) => (events.push(event), notify()) });
  t.teardown(() => watching.close());
  const text = async (path: string) => (await runtime.fetch(new Request(`http://docs.localhost${path}`))).text();

  await writeFile(join(apps, 'docs/pages/guide/intro.md'), '# Changed\n\nNew words.\n');
  t.like(await settled('pages/guide/intro.md'), { type: 'ready', built: 1 });
  t.regex(await text('/guide/intro'), /<h1>Changed<\/h1>\n<p>New words\.<\/p>/);

  await writeFile(join(apps, 'docs/api.endpoints'), '[GET /status]\nbody = ok\nsatus = 201\n');
  const failed = await settled('api.endpoints');
  t.is(failed.type, 'failed');
  t.regex(failed.type === 'failed' ? failed.error.message : '', /builder hangar-builder-endpoints failed on api\.endpoints: api\.endpoints:3: unknown key "satus"/);
  t.is(await text('/api/hello/ann'), '{"hello": "ann"}', 'the last good build keeps serving');
});
