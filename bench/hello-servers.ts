// One contender of bench/hello.ts, run in its own process (so it has a core to itself): starts it and reports its port.
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { EdgeRuntime, runServer } from 'edge-runtime';
import { Miniflare } from 'miniflare';
import { edgeRuntime } from '../adapters/express.js';

export const CONTENDERS = {
  /** Express answering by itself: the baseline. */
  express: async () => {
    const app = express();
    app.get('/', (_req, res) => void res.type('text/plain').send('Hello, world!'));
    return listen(app);
  },
  /** Express with Hangar mounted, the handler running in a V8 isolate (isolated-vm). */
  hangar: async () => {
    const hangar = edgeRuntime({ apps: fileURLToPath(new URL('./apps', import.meta.url)), logger: { level: 'warn' } });
    await hangar.runtime;
    const app = express();
    app.use(hangar);
    return listen(app);
  },
  /** The same, with isolates in supervised child processes (executor mode `process`). */
  'hangar-process': async () => {
    const hangar = edgeRuntime({ apps: fileURLToPath(new URL('./apps', import.meta.url)), logger: { level: 'warn' }, executor: { mode: 'process' } });
    await hangar.runtime;
    const app = express();
    app.use(hangar);
    return listen(app);
  },
  /** Cloudflare's workerd, through Miniflare 3: the same handler as a service-worker script, served by workerd itself. */
  miniflare: async () => {
    const script = await readFile(new URL('./apps/hello/index.js', import.meta.url), 'utf8');
    const url = await new Miniflare({ script, host: '127.0.0.1', port: 0 }).ready;
    return Number(url.port);
  },
  /** Vercel's edge-runtime: the same handler in a node:vm context behind its own node:http server. */
  'edge-runtime': async () => {
    const initialCode = await readFile(new URL('./apps/hello/index.js', import.meta.url), 'utf8');
    const server = await runServer({ runtime: new EdgeRuntime({ initialCode }), port: 0, host: '127.0.0.1' });
    return Number(new URL(server.url).port);
  },
} as const;

export type Contender = keyof typeof CONTENDERS;

function listen(app: express.Express): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve((server.address() as AddressInfo).port)));
  });
}

// Run as a child of bench/hello.ts: start the contender named by argv, then tell the parent its port.
if (process.send) {
  const name = process.argv[2] as Contender;
  process.send({ port: await CONTENDERS[name]() });
  // bench/profile.ts asks for a clean exit, which is when V8 writes a --cpu-prof profile.
  process.on('message', (message) => message === 'stop' && process.exit(0));
}
