// `hangar serve <appsDir>`: builds every app in the folder and serves them over a bare node:http server.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { VERSION } from '../../core/version.js';
import { createServer } from '../node.js';
import { listen, printOrigin, withListenOptions, type ListenOptions } from './listen.js';
import { ProgressPlugin } from './progress.js';
import { onShutdown } from './shutdown.js';

export function serveCommand(): Command {
  return withListenOptions(
    new Command('serve')
      .description('build every app in <appsDir> (one subfolder per app) and serve them over HTTP')
      .argument('<appsDir>', 'a folder whose subfolders are apps; each answers on <name>.localhost unless its hangar.json names hostnames'),
  ).action(async (appsDir: string, options: ListenOptions) => {
    const out = process.stderr;
    const dir = resolve(appsDir);
    out.write(`hangar ${VERSION}: building the apps in ${dir}\n`);
    const server = await createServer({ apps: dir, plugins: [new ProgressPlugin(out)] });
    for (const app of server.runtime.apps().filter((a) => a.error)) out.write(`✗ ${app.name}: ${app.error!.code}: ${app.error!.message}\n`);
    const origin = await listen(server, options);
    printOrigin(out, server.runtime, origin);
    onShutdown(() => server.close(), out);
  });
}
