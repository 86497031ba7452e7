// What every serving command shares: the --port/--host options, and listening with an error that says what to change.
import { Command, InvalidArgumentError } from 'commander';
import type { Writable } from 'node:stream';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { HangarServer } from '../node.js';

export interface ListenOptions {
  port: number;
  host: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 picks a free port)');
  return port;
}

/** Adds `-p, --port` (default PORT, else 3000) and `-H, --host` (default loopback) to a command. */
export function withListenOptions(command: Command): Command {
  return command
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort, process.env.PORT ? parsePort(process.env.PORT) : 3000)
    .option('-H, --host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1');
}

/** Listens, resolving with the server's origin; on failure closes the server and rejects with what to change. */
export async function listen(server: HangarServer, options: ListenOptions): Promise<string> {
  const address = await server.listen(options.port, options.host).catch(async (error: NodeJS.ErrnoException) => {
    await server.close();
    throw new Error(`cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); pick another --port or --host`);
  });
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** Prints where the server listens and one curl line per live app, so a user can try each at once. */
export function printOrigin(out: Writable, runtime: EdgeRuntime, origin: string): void {
  const tries = runtime
    .apps()
    .filter((app) => app.status === 'active')
    .map((app) => `  curl -H 'Host: ${app.hostnames[0]?.replace(/^\*\./, 'any.')}' ${origin}/\n`);
  out.write(`listening on ${origin}\n${tries.join('')}`);
}
