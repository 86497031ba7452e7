// Test helpers for the kernel: a quiet runtime and deployments made of in-memory outputs.
import { CachePlugin } from '../../plugins/cache/index.js';
import { EdgeRuntime } from '../../core/runtime.js';
import type { RuntimeOptions } from '../../core/options.js';

/** A runtime with a silent logger and only the plugins given (plus the memory cache store). */
export function quietRuntime(options: RuntimeOptions = {}): EdgeRuntime {
  const runtime = new EdgeRuntime({ logger: { level: 'silent' }, ...options });
  runtime.use(new CachePlugin({ bindings: false }));
  return runtime;
}
