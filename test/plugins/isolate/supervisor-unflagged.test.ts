import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { send } from '../../helpers/http.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** An Express server that mounts edgeRuntime(), as a user would write it; it prints its port. */
const SERVER = `
  const { default: express } = await import('express');
  const { edgeRuntime } = await import('./adapters/express.ts');
  const hangar = edgeRuntime({ apps: process.env.APPS_DIR, logger: { level: 'warn' } });
  await hangar.runtime;
  const app = express();
  app.use(hangar);
  app.get('/', (req, res) => void res.send('plain express'));
  const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
  process.on('SIGTERM', () => hangar.close().then(() => server.close()));`;

test('app.use(edgeRuntime()) in a Node started without --no-node-snapshot serves apps (from child processes)', async (t) => {
  const apps = await mkdtemp(join(tmpdir(), 'hangar-unflagged-'));
  t.teardown(() => rm(apps, { recursive: true, force: true }));
  await mkdir(join(apps, 'hello'));
  await writeFile(
    join(apps, 'hello', 'index.js'),
    `addEventListener('fetch', (event) => event.respondWith(new Response('hello from ' + new URL(event.request.url).hostname)));`,
  );
  const { NODE_OPTIONS: _, ...env } = process.env;
  const server = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', SERVER], {
    cwd: repo,
    env: { ...env, APPS_DIR: apps },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  const lines: string[] = [];
  let port: number | undefined;
  for await (const line of createInterface({ input: server.stdout! })) {
    lines.push(line);
    try {
      port = (JSON.parse(line) as { port?: number }).port;
    } catch {
      // Not the port line.
    }
    if (port) break;
  }
  t.truthy(port, `the server printed no port:\n${lines.join('\n')}`);
  t.regex(lines.join('\n'), /started without --no-node-snapshot.*supervised child processes/);

  const origin = `http://127.0.0.1:${port}`;
  const app = await send(origin, { host: 'hello.localhost' });
  t.is(app.status, 200);
  t.is(app.body, 'hello from hello.localhost');
  const fallthrough = await send(origin, { host: 'other.example' });
  t.is(fallthrough.body, 'plain express');

  server.kill('SIGTERM');
  const [code, signal] = (await once(server, 'exit')) as [number | null, string | null];
  t.true(code === 0 || signal === 'SIGTERM', `the server exited with ${signal ?? code}`);
});
