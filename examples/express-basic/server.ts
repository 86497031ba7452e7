// The express-basic example: an Express server with its own route, also serving the tenant apps in ./apps from V8 isolates.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';
import type { RuntimeOptions } from 'hangar';
import { edgeRuntime } from 'hangar/express';

/** `port` 0 picks a free one (by default PORT, else 3000); `limits` and `logger` go to the runtime. */
export type StartOptions = { port?: number; host?: string } & Pick<RuntimeOptions, 'limits' | 'logger'>;

export async function start(options: StartOptions = {}) {
  const hangar = edgeRuntime({ apps: fileURLToPath(new URL('./apps', import.meta.url)), limits: options.limits, logger: options.logger });
  const app = express();
  // First, so tenant hostnames reach their apps; every other request falls through to the routes below.
  app.use(hangar);
  app.get('/', (req, res) => void res.type('text').send(`host app: Express answering for ${req.hostname}\n`));

  const runtime = await hangar.runtime; // builds the apps before the first request
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? Number(process.env.PORT ?? 3000), options.host ?? '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    runtime,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await hangar.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { origin, close } = await start();
  console.log(`express-basic is listening on ${origin}. Try:

# the host app's own route
curl ${origin}/
# hello: a service-worker style JS app; the path and fibonacci(20) are computed in its isolate
curl -H 'Host: hello.localhost' '${origin}/some/path?n=20'
# greet: a module-style TypeScript app; GREETING comes from its hangar.json
curl -H 'Host: greet.localhost' '${origin}/api?name=Ada'
# greet: a static file from public/, with its ETag
curl -i -H 'Host: greet.localhost' ${origin}/style.css
`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void close().then(() => process.exit(0)));
}
