// A plugin that prints build progress for the CLI: each build job as it starts and ends, and each app as it goes live.
import type { Writable } from 'node:stream';
import type { BuildJob } from '../../core/hooks.js';
import type { Plugin } from '../../core/plugin.js';
import type { EdgeRuntime } from '../../core/runtime.js';

export class ProgressPlugin implements Plugin {
  readonly name = 'hangar:cli-progress';
  private readonly started = new WeakMap<BuildJob, number>();

  constructor(private readonly out: Writable = process.stderr) {}

  apply(runtime: EdgeRuntime): void {
    runtime.hooks.beforeBuild.tap(this.name, (job) => {
      this.started.set(job, performance.now());
      this.out.write(`  building ${job.app.name}: ${job.entrypoint} (${job.use})\n`);
    });
    runtime.hooks.afterBuild.tap(this.name, (job, outcome) => {
      const ms = Math.round(performance.now() - (this.started.get(job) ?? performance.now()));
      this.out.write(`  built    ${job.app.name}: ${job.entrypoint} in ${ms} ms${outcome.cached ? ' (from the build cache)' : ''}\n`);
    });
    runtime.hooks.activate.tap(this.name, (deployment) => {
      this.out.write(`✓ ${deployment.app} is live on ${deployment.hostnames.join(', ') || '(no hostname)'}\n`);
    });
  }
}
