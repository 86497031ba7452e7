// `hangar dev <appsDir>`: serves every app and rebuilds an app as its files change, printing progress and build errors.
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import type { WatchEvent } from '../../core/tokens.js';
import { VERSION } from '../../core/version.js';
import { createServer } from '../node.js';
import { listen, printOrigin, withListenOptions, type ListenOptions } from './listen.js';
import { onShutdown } from './shutdown.js';

function print(out: Writable, event: WatchEvent): void {
  if (event.type === 'building') out.write(`↻ ${event.app}: building${event.files.length ? ` (${event.files.join(', ')})` : ''}\n`);
  else if (event.type === 'ready') out.write(`✓ ${event.app}: ready in ${event.ms} ms (${event.built} built, ${event.cached} from the build cache)\n`);
  else out.write(`✗ ${event.app}: build failed, the last good build keeps serving\n  ${event.error.code}: ${event.error.message.replace(/\n/g, '\n  ')}\n`);
}

export function devCommand(): Command {
  return withListenOptions(
    new Command('dev')
      .description('serve every app in <appsDir> and rebuild an app when its files change; a broken build leaves the last good one serving')
      .argument('<appsDir>', 'a folder whose subfolders are apps; each answers on <name>.localhost unless its hangar.json names hostnames'),
  ).action(async (appsDir: string, options: ListenOptions) => {
    const out = process.stderr;
    const dir = resolve(appsDir);
    out.write(`hangar ${VERSION} dev: watching ${dir}\n`);
    const server = await createServer({});
    const watching = await server.runtime.watch(dir, { onEvent: (event) => print(out, event) });
    const origin = await listen(server, options).catch(async (error: unknown) => {
      await watching.close();
      throw error;
    });
    printOrigin(out, server.runtime, origin);
    onShutdown(async () => {
      await watching.close();
      await server.close();
    }, out);
  });
}
