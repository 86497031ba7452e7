// The app's env and binding globals: its configured variables, plus each binding a plugin handed in, calling the host through the bridge.
import type { AppConfig, HostBridge, HostOutcome } from '../protocol.js';

export function hostError(outcome: Extract<HostOutcome<unknown>, { ok: false }>): Error {
  const error = new Error(outcome.message);
  error.name = outcome.name;
  return error;
}

/** `env` for the app's handler; `globals` for the bindings scoped to the isolate's global (`caches`, say). */
export function createEnv(
  bridge: HostBridge,
  config: AppConfig,
  factories: ((raw: unknown) => unknown)[],
): { env: Record<string, unknown>; globals: Record<string, unknown> } {
  const env: Record<string, unknown> = { ...config.env };
  const globals: Record<string, unknown> = {};
  config.bindings.forEach((binding, index) => {
    const raw: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of binding.methods) {
      raw[method] = async (...args) => {
        const outcome = await bridge.callBinding(index, method, args);
        if (!outcome.ok) throw hostError(outcome);
        return outcome.value;
      };
    }
    Object.freeze(raw);
    (binding.scope === 'global' ? globals : env)[binding.name] = binding.factory === null ? raw : factories[binding.factory]!(raw);
  });
  return { env, globals };
}
