import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { VERSION } from '../../core/version.js';
import { send } from '../helpers/http.js';

const BIN = fileURLToPath(new URL('../../adapters/bin.js', import.meta.url));
const APPS = fileURLToPath(new URL('../../examples/express-basic/apps', import.meta.url));

/** Runs the `hangar` bin as a user would (plain `node`, no flags), collecting its output. */
function hangar(...args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  return { child, output: () => output };
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

test('hangar --help and serve --help describe the command and its options', async (t) => {
  const top = hangar('--help');
  t.is(await exitOf(top.child), 0);
  t.regex(top.output(), /serve \[options\] <appsDir>/);
  const serve = hangar('serve', '--help');
  t.is(await exitOf(serve.child), 0);
  t.regex(serve.output(), /--port <port>/);
  t.regex(serve.output(), /--host <host>/);
  const version = hangar('--version');
  await exitOf(version.child);
  t.is(version.output().trim(), VERSION);
});

test('hangar serve builds the apps with progress, serves them, and exits 0 on SIGTERM', async (t) => {
  const { child, output } = hangar('serve', APPS, '--port', '0');
  t.teardown(() => void child.kill('SIGKILL'));
  const origin = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\n(.*\n)*  curl -H 'Host: hello\.localhost' \1\//.exec(output());
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`hangar serve exited early:\n${output()}`)));
  });
  t.regex(output(), /building hello: index\.js \(edge\)/);
  t.regex(output(), /✓ greet is live on greet\.localhost/);
  const reply = await send(origin, { host: 'hello.localhost', path: '/cli?n=10' });
  t.regex(reply.body, /fibonacci\(10\) = 55/);
  t.is(reply.headers.server, `hangar/${VERSION}`);
  t.is((await send(origin, { host: 'nobody.localhost' })).status, 404);
  child.kill('SIGTERM');
  t.is(await exitOf(child), 0);
  t.regex(output(), /SIGTERM: finishing in-flight requests and shutting down/);
});

test('hangar serve with a folder that does not exist says so and exits 1', async (t) => {
  const { child, output } = hangar('serve', '/nonexistent/apps', '--port', '0');
  t.is(await exitOf(child), 1);
  t.regex(output(), /hangar: apps folder \/nonexistent\/apps cannot be read/);
});

test('a bad --port is refused by the option parser', async (t) => {
  const { child, output } = hangar('serve', APPS, '--port', 'eighty');
  t.not(await exitOf(child), 0);
  t.regex(output(), /--port <port>.*must be a whole number/s);
});
