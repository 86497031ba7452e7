import test from 'ava';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../../core/create-runtime.js';

test('apps built by the edge builder from source run in isolates, in both styles, with their configured env', async (t) => {
  const apps = await mkdtemp(join(tmpdir(), 'hangar-isolate-apps-'));
  await mkdir(join(apps, 'typed'));
  await writeFile(
    join(apps, 'typed', 'index.ts'),
    `interface Env { GREETING: string }
    export default {
      async fetch(request: Request, env: Env): Promise<Response> {
        const name = new URL(request.url).searchParams.get('name') ?? 'nobody';
        return new Response(\`\${env.GREETING}, \${name.toUpperCase()} (\${typeof process})\`);
      },
    };`,
  );
  await writeFile(join(apps, 'typed', 'hangar.json'), JSON.stringify({ env: { GREETING: 'Hello' } }));
  await mkdir(join(apps, 'worker'));
  await writeFile(join(apps, 'worker', 'index.js'), `addEventListener('fetch', (e) => e.respondWith(Response.json({ sum: [1, 2, 3].reduce((a, b) => a + b) })));`);
  const runtime = await createRuntime({ apps, logger: { level: 'silent' } });
  t.teardown(() => runtime.close());
  const typed = await runtime.fetch(new Request('http://typed.localhost/?name=ada'));
  t.is(typed.status, 200);
  t.is(await typed.text(), 'Hello, ADA (undefined)');
  const worker = await runtime.fetch(new Request('http://worker.localhost/'));
  t.deepEqual(await worker.json(), { sum: 6 });
});
