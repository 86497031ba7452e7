// The isolate plugin: serves Lambdas of runtime `edge` from one V8 isolate per app, through isolated-vm.
import type { Plugin } from '../../core/plugin.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { IsolateExecutor } from './executor.js';
import type { IsolateStats } from './pool.js';
import { tapRecursionGuard } from './recursion-guard.js';
import { executorMode } from './snapshot-flag.js';
import { ProcessExecutor } from './supervisor/process-executor.js';

export class IsolatePlugin implements Plugin {
  readonly name = 'hangar:isolate';
  private executor?: IsolateExecutor | ProcessExecutor;

  /** The live isolates of this process, with their load and heap (none in process mode: they live in the children). */
  stats(): Promise<IsolateStats[]> {
    return this.executor instanceof IsolateExecutor ? this.executor.stats() : Promise.resolve([]);
  }

  apply(runtime: EdgeRuntime): void {
    const { mode, warning } = executorMode(runtime.options.executor?.mode);
    if (warning) runtime.logger.warn({ plugin: this.name }, warning);
    const executor = mode === 'process' ? new ProcessExecutor(runtime) : new IsolateExecutor(runtime);
    this.executor = executor;
    tapRecursionGuard(runtime, this.name);
    // A failure here is reported, not fatal: the first request retries it and answers with what went wrong.
    runtime.hooks.start.tapPromise(this.name, () =>
      executor.prepare().catch((error: unknown) => runtime.logger.error({ err: error, plugin: this.name }, `the isolate executor (${mode} mode) could not be prepared`)),
    );
    runtime.hooks.executor.tap(this.name, (lambda) => (lambda.runtime === executor.runtime ? executor : undefined));
    runtime.hooks.activate.tapPromise(this.name, async (deployment, previous) => {
      executor.activated(deployment);
      if (previous && previous.id !== deployment.id) await executor.release(previous);
    });
    runtime.hooks.close.tapPromise(this.name, () => executor.close());
  }
}
