// The hono-basic example: a Hono app on @hono/node-server with its own route, also serving the tenant apps in ./apps.
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { RuntimeOptions } from 'hangar';
import { edgeRuntime } from 'hangar/hono';

/** `port` 0 picks a free one (by default PORT, else 3000); `limits` and `logger` go to the runtime. */
export type StartOptions = { port?: number; host?: string } & Pick<RuntimeOptions, 'limits' | 'logger'>;

export async function start(options: StartOptions = {}) {
  const hangar = edgeRuntime({ apps: fileURLToPath(new URL('./apps', import.meta.url)), limits: options.limits, logger: options.logger });
  const app = new Hono();
  // First, so tenant hostnames reach their apps; every other request falls through to the routes below.
  app.use('*', hangar);
  app.get('/', (c) => c.text(`host app: Hono answering for ${new URL(c.req.url).hostname}\n`));

  const runtime = await hangar.runtime; // builds the apps before the first request
  let server!: ReturnType<typeof serve>;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: options.port ?? Number(process.env.PORT ?? 3000), hostname: options.host ?? '127.0.0.1' }, resolve);
    server.once('error', reject);
  });
  return {
    origin: `http://localhost:${address.port}`,
    runtime,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await hangar.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { origin, close } = await start();
  console.log(`hono-basic is listening on ${origin}. Try:

# the host app's own route
curl ${origin}/
# words: a service-worker style JS app; it counts the words of the path in its isolate
curl -H 'Host: words.localhost' ${origin}/edge-apps-in-isolates
# notes: a module-style TypeScript app; TITLE comes from its hangar.json
curl -H 'Host: notes.localhost' ${origin}/
# notes: a static file from public/, with its ETag
curl -i -H 'Host: notes.localhost' ${origin}/notes.css
`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void close().then(() => process.exit(0)));
}
