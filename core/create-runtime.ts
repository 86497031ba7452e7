// createRuntime: the kernel plus the default plugins, started and ready to serve.
import { defaultPlugins } from '../plugins/index.js';
import type { RuntimeOptions } from './options.js';
import { EdgeRuntime } from './runtime.js';

export async function createRuntime(options: RuntimeOptions = {}): Promise<EdgeRuntime> {
  const runtime = new EdgeRuntime(options);
  for (const plugin of options.defaultPlugins === false ? [] : defaultPlugins()) runtime.use(plugin);
  for (const plugin of options.plugins ?? []) runtime.use(plugin);
  await runtime.start();
  return runtime;
}
