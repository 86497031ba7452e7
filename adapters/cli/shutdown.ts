// Clean shutdown for long-running commands: the first SIGINT/SIGTERM (or losing the bin shim) closes, a second one exits now.
import type { Writable } from 'node:stream';

export function onShutdown(close: () => Promise<void>, out: Writable = process.stderr): void {
  let closing = false;
  const stop = (reason: string) => {
    if (closing) {
      out.write(`${reason} again: exiting without waiting\n`);
      process.exit(1);
    }
    closing = true;
    out.write(`${reason}: finishing in-flight requests and shutting down\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        out.write(`shutdown failed: ${(error as Error)?.message ?? error}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Started by bin.js in its own process group: if the shim dies without forwarding a signal, do not outlive it.
  if (process.connected) process.on('disconnect', () => stop('the hangar launcher exited'));
}
