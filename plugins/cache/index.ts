// The cache plugin: opens keyv stores for the cacheStore hook. `memory:` is built in.
import Keyv from 'keyv';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { Plugin } from '../../core/plugin.js';

export class CachePlugin implements Plugin {
  readonly name = 'hangar:cache';

  apply(runtime: EdgeRuntime): void {
    runtime.hooks.cacheStore.tap(this.name, (namespace, url) => {
      if (url !== 'memory:' && url !== 'memory://') return undefined;
      return new Keyv({ namespace });
    });
  }
}
