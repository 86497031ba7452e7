// The `hangar` command line: one commander program; each command lives in its own file and is added with one line.
import { Command } from 'commander';
import { VERSION } from '../../core/version.js';
import { devCommand } from './dev.js';
import { serveCommand } from './serve.js';

// bin.js keeps an IPC channel only so a command can notice the launcher is gone; it must not keep a finished command alive.
process.channel?.unref();

const program = new Command('hangar')
  .description('Hangar: serve multi-tenant edge apps from V8 isolates')
  .version(VERSION)
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(devCommand());

await program.parseAsync().catch((error: unknown) => {
  // HangarErrors already say what to fix; a stack trace would bury that.
  process.stderr.write(`hangar: ${(error as Error)?.message ?? error}\n`);
  process.exit(1);
});
