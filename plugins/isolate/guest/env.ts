// The app's env and binding globals: its configured variables, plus each binding a plugin handed in, calling the host through the bridge.
import type { AppConfig, HostBridge } from '../protocol.js';

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
    for (const method of binding.methods) raw[method] = (...args) => bridge.callBinding(index, method, args);
    Object.freeze(raw);
    (binding.scope === 'global' ? globals : env)[binding.name] = binding.factory === null ? raw : factories[binding.factory]!(raw);
  });
  return { env, globals };
}
