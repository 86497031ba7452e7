// The default plugin set that createRuntime applies: layers, builders, the isolate executor, and the cache.
import type { Plugin } from '../core/plugin.js';
import { BuildersPlugin } from './builders/index.js';
import { CachePlugin } from './cache/index.js';
import { IsolatePlugin } from './isolate/index.js';
import { LayersPlugin } from './layers/index.js';

export function defaultPlugins(): Plugin[] {
  return [new CachePlugin(), new LayersPlugin(), new BuildersPlugin(), new IsolatePlugin()];
}

export { BuildersPlugin, CachePlugin, IsolatePlugin, LayersPlugin };
