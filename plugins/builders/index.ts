// The builders plugin: the BuildHost and dev-mode Watcher services, and the built-in `static` and `edge` builders.
import type { Plugin } from '../../core/plugin.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { Tokens } from '../../core/tokens.js';
import { createEdgeBuilder, type EdgeBuilderOptions } from './edge/index.js';
import { BuilderHost } from './host.js';
import { staticBuilder } from './static/index.js';
import { AppsWatcher } from './watch.js';

export interface BuildersPluginOptions {
  /** Options of the built-in `edge` builder (HTTP import cache and allow-list). */
  edge?: EdgeBuilderOptions;
}

export class BuildersPlugin implements Plugin {
  readonly name = 'hangar:builders';

  constructor(private readonly options: BuildersPluginOptions = {}) {}

  apply(runtime: EdgeRuntime): void {
    const edgeBuilder = createEdgeBuilder(this.options.edge);
    runtime.hooks.builder.for('static').tap(this.name, () => staticBuilder);
    runtime.hooks.builder.for('edge').tap(this.name, () => edgeBuilder);
    const host = new BuilderHost(runtime);
    runtime.container.register(Tokens.BuildHost, { useValue: host });
    const watcher = new AppsWatcher(runtime);
    runtime.container.register(Tokens.Watcher, { useValue: watcher });
    // Watching stops before the workspaces its rebuilds use are deleted.
    runtime.hooks.close.tapPromise(this.name, async () => {
      await watcher.close();
      await host.close();
    });
  }
}
