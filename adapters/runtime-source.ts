// The runtime an adapter serves: one the caller passes in, or one created lazily, once, from RuntimeOptions.
import type { RuntimeOptions } from '../core/options.js';
import type { EdgeRuntime } from '../core/runtime.js';

/** Options every adapter takes: runtime options (the adapter creates and owns the runtime), or a runtime to serve. */
export type AdapterOptions = RuntimeOptions | { runtime: EdgeRuntime };

export interface RuntimeSource {
  /** The runtime; created (apps built) on first access, so a bad option rejects here and on each request, never unhandled. */
  readonly runtime: Promise<EdgeRuntime>;
  /** Closes the runtime if the adapter created it; a runtime passed in belongs to the caller. */
  close(): Promise<void>;
}

export function runtimeSource(options: AdapterOptions): RuntimeSource {
  const given = 'runtime' in options ? options.runtime : undefined;
  let created: Promise<EdgeRuntime> | undefined;
  return {
    get runtime() {
      if (given) return Promise.resolve(given);
      // Imported here so serving a runtime that was passed in never loads the default plugins (and isolated-vm).
      created ??= import('../core/create-runtime.js').then(({ createRuntime }) => createRuntime(options as RuntimeOptions));
      return created;
    },
    async close() {
      if (created) await (await created.catch(() => undefined))?.close();
    },
  };
}

/** What adapter middleware exposes besides being middleware: its runtime (lazily) and close(). */
export type WithRuntime<F> = F & Pick<RuntimeSource, 'runtime' | 'close'>;

/** Attaches `runtime` as a getter (reading it is what creates the runtime) and `close()` to a middleware function. */
export function withRuntime<F extends object>(middleware: F, source: RuntimeSource): WithRuntime<F> {
  return Object.defineProperties(middleware, {
    runtime: { get: () => source.runtime, enumerable: true },
    close: { value: () => source.close(), enumerable: true },
  }) as WithRuntime<F>;
}
