// The layers plugin: resolves app folders (with or without hangar.json) into layers, and local sources into Files.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Plugin } from '../../core/plugin.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { appConfigToLayer, readAppConfig } from './app-config.js';
import { layerId } from './canonical.js';
import { resolveLocalSource } from './local-source.js';

export { layerId } from './canonical.js';
export { appConfigSchema, readAppConfig, appConfigToLayer, ZERO_CONFIG_BUILDS, ZERO_CONFIG_ROUTES, type AppConfig } from './app-config.js';

export class LayersPlugin implements Plugin {
  readonly name = 'hangar:layers';

  apply(runtime: EdgeRuntime): void {
    runtime.hooks.resolveLayer.tapPromise(this.name, async (ref, context) => {
      const dir = resolve(context.cwd, ref);
      if (!(await stat(dir).catch(() => undefined))?.isDirectory()) return undefined;
      const layer = appConfigToLayer(dir, await readAppConfig(dir));
      return { id: layerId(layer), layer, baseDir: dir, origin: dir };
    });
    runtime.hooks.resolveSource.tapPromise(this.name, resolveLocalSource);
  }
}
