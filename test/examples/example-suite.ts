// The behaviour every example server must show, run against one example started in-process on an ephemeral port.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import type { EdgeRuntime, RuntimeOptions } from '../../core/index.js';
import { VERSION } from '../../core/version.js';
import { send, type Reply } from '../helpers/http.js';

export interface Started {
  origin: string;
  runtime: EdgeRuntime;
  close(): Promise<void>;
}

export interface Tenant {
  host: string;
  path: string;
  /** Asserts the body is the app's own computation for this request. */
  check(t: ExecutionContext, reply: Reply): void;
}

export interface ExampleSpec {
  start(options: { port: number; host?: string } & Pick<RuntimeOptions, 'limits' | 'logger'>): Promise<Started>;
  tenants: [Tenant, Tenant];
  staticFile: { host: string; path: string; file: URL };
}

/** The misbehaving apps, kept out of the examples: each is deployed into the example's runtime next to its own apps. */
const FIXTURES = ['throws', 'spin', 'globals', 'echo'];
/** Small, so the stuck app is cut off fast; roomy enough for an isolate's cold start on a busy 2-core machine. */
const WALL_MS = 2_000;

export function exampleSuite(spec: ExampleSpec): void {
  let server: Started;
  const origin = () => server.origin.replace('localhost', '127.0.0.1');

  test.before(async () => {
    server = await spec.start({ port: 0, limits: { wallMs: WALL_MS }, logger: { level: 'silent' } });
    for (const name of FIXTURES) await server.runtime.deploy(fileURLToPath(new URL(`../fixtures/apps/${name}`, import.meta.url)));
  });
  test.after.always(() => server?.close());

  test.serial('both tenants answer by Host header with bodies computed in their isolates, stamped with Server and x-request-id', async (t) => {
    for (const tenant of spec.tenants) {
      const reply = await send(origin(), { host: tenant.host, path: tenant.path });
      t.is(reply.status, 200, `${tenant.host} answered: ${reply.body.slice(0, 300)}`);
      t.is(reply.headers.server, `hangar/${VERSION}`);
      t.regex(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      tenant.check(t, reply);
    }
  });

  test.serial('a static file is served with its content type and ETag, and 304 when the ETag matches', async (t) => {
    const { host, path, file } = spec.staticFile;
    const reply = await send(origin(), { host, path });
    t.is(reply.status, 200);
    t.regex(String(reply.headers['content-type']), /^text\/css/);
    t.is(reply.body, await readFile(file, 'utf8'));
    const etag = reply.headers.etag;
    t.truthy(etag);
    const again = await send(origin(), { host, path, headers: { 'if-none-match': etag! } });
    t.is(again.status, 304);
    t.is(again.body, '');
  });

  test.serial('a host no app owns reaches the host app: its own route, and its own 404', async (t) => {
    const own = await send(origin(), { host: 'localhost' });
    t.is(own.status, 200);
    t.regex(own.body, /^host app: .* for localhost/);
    t.false(String(own.headers.server).startsWith('hangar/'));
    const missing = await send(origin(), { host: 'unknown.example.com', path: '/nothing-here' });
    t.is(missing.status, 404);
    t.notRegex(missing.body, /E_NOT_FOUND/, 'the 404 is the host framework’s, not Hangar’s');
  });

  test.serial('an app that throws answers 500 with a request id, and the server keeps serving it and the others', async (t) => {
    const failed = await send(origin(), { host: 'throws.localhost', path: '/boom' });
    t.is(failed.status, 500);
    t.regex(failed.body, /E_APP_EXCEPTION/);
    t.regex(failed.body, new RegExp(String(failed.headers['x-request-id'])));
    t.is((await send(origin(), { host: 'throws.localhost', path: '/ok' })).body, 'still here');
    t.is((await send(origin(), { host: spec.tenants[0].host, path: spec.tenants[0].path })).status, 200);
  });

  test.serial('an app stuck in while(true) answers 5xx by its deadline while another tenant keeps answering', async (t) => {
    const began = performance.now();
    let spinDoneAt = 0;
    const spinning = send(origin(), { host: 'spin.localhost', path: '/spin' }).then((reply) => ((spinDoneAt = performance.now()), reply));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [tenant] = spec.tenants;
    const meanwhile = await send(origin(), { host: tenant.host, path: tenant.path });
    const meanwhileAt = performance.now();
    t.is(meanwhile.status, 200);
    tenant.check(t, meanwhile);
    const stuck = await spinning;
    t.true(meanwhileAt < spinDoneAt, 'the other tenant answered while the stuck one was still running');
    t.true(stuck.status >= 500 && stuck.status < 600, `status ${stuck.status}`);
    t.regex(stuck.body, /E_LIMIT_(WALL|CPU)_TIME/);
    // Generous: this only catches a deadline that is not enforced at all.
    t.true(spinDoneAt - began < 10 * WALL_MS, `answered after ${Math.round(spinDoneAt - began)} ms`);
    t.is((await send(origin(), { host: 'spin.localhost' })).body, 'spin is idle', 'the app is served again after its isolate was replaced');
  });

  const globalsSeen = async () =>
    JSON.parse((await send(origin(), { host: 'globals.localhost' })).body) as Record<string, string> & { globals: string[] };

  test.serial('an app that reads process or require sees them undefined, and no host object is among its globals', async (t) => {
    const seen = await globalsSeen();
    t.is(seen.process, 'undefined');
    t.is(seen.require, 'undefined', 'not even a bundler stub');
    t.is(seen.globalProcess, 'undefined');
    t.is(seen.globalRequire, 'undefined');
    t.is(seen.requireFs, 'threw', 'no host module can be loaded');
    t.is(seen.Buffer, 'undefined');
    t.is(seen.Request, 'function', 'the web platform is there');
    const hostNames = new Set(['process', 'require', 'module', 'global', 'ivm', 'Isolate', 'Context', 'Reference', 'ExternalCopy', 'Callback', 'Script']);
    t.deepEqual(seen.globals.filter((name) => hostNames.has(name) || /isolated/i.test(name)), []);
  });

  test.serial('a large POST streams into an app and its echo streams back intact', async (t) => {
    const total = 16 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024);
    const sent = createHash('sha256');
    const body = Readable.from(
      (function* () {
        for (let offset = 0, i = 0; offset < total; offset += piece.length, i++) {
          piece.fill(i % 251);
          sent.update(piece);
          yield Buffer.from(piece);
        }
      })(),
    );
    const received = createHash('sha256');
    let length = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(origin(), { method: 'POST', agent: false, headers: { host: 'echo.localhost' } }, (res) => {
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
          received.update(chunk);
        });
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      });
      req.on('error', reject);
      body.pipe(req);
    });
    t.is(status, 200);
    t.is(length, total);
    t.is(received.digest('hex'), sent.digest('hex'));
  });
}
