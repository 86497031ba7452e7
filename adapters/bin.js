#!/usr/bin/env node
// The `hangar` bin: re-runs node with the flags isolated-vm needs, from source (via tsx) in a checkout, else from dist.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const source = new URL('./cli/index.ts', import.meta.url);
const fromSource = existsSync(source);
const entry = fromSource ? source : new URL('../dist/adapters/cli/index.js', import.meta.url);
const flags = ['--no-node-snapshot', ...(fromSource ? ['--conditions=hangar-source', `--import=${import.meta.resolve('tsx')}`] : [])];

// Its own process group, so a terminal's Ctrl-C reaches the command once (forwarded below), not twice.
const child = spawn(process.execPath, [...flags, fileURLToPath(entry), ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
