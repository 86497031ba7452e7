// The executor in process mode: apps are sharded over supervised child processes, each running isolates inline.
import type { RequestContext } from '../../../core/context.js';
import type { Deployment } from '../../../core/deployment.js';
import type { DispatchTarget, Executor } from '../../../core/executor.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { bootstrapSource } from '../bootstrap.js';
import { spareCount } from '../spare-isolates.js';
import { ExecutorProcess } from './executor-process.js';
import { shardOf } from './shard.js';

const DEFAULT_PROCESSES = 2;
const DEFAULT_LIVENESS_MS = 10_000;
/** Released deployment ids remembered, so a request routed just before a switch does not revive one. */
const RELEASED_MEMORY = 10_000;

export class ProcessExecutor implements Executor {
  readonly runtime = 'edge';
  private readonly processes: ExecutorProcess[];
  private readonly released = new Set<string>();

  constructor(host: EdgeRuntime) {
    const options = host.options.executor ?? {};
    const count = Math.max(1, Math.floor(options.processes ?? DEFAULT_PROCESSES));
    const spareIsolates = spareCount(host);
    const livenessMs = Math.max(100, options.livenessMs ?? DEFAULT_LIVENESS_MS);
    this.processes = Array.from(
      { length: count },
      (_, slot) => new ExecutorProcess(host, slot, { spareIsolates, sameThread: options.sameThread, livenessMs, bootstrap: bootstrapSource }),
    );
  }

  /** Forks every child (at runtime start), so the first requests do not wait for one. */
  async prepare(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.start()));
  }

  dispatch(request: Request, target: DispatchTarget, context: RequestContext): Promise<Response> {
    return this.processOf(target.deployment.app).dispatch(request, target, context, !this.released.has(target.deployment.id));
  }

  /** The pid of the process serving an app, while it runs: for operators (and tests) who need to find it. */
  pidOf(app: string): number | undefined {
    return this.processOf(app).pid;
  }

  private processOf(app: string): ExecutorProcess {
    return this.processes[shardOf(app, this.processes.length)]!;
  }

  /** A deployment serves (again). */
  activated(deployment: Deployment): void {
    this.released.delete(deployment.id);
    for (const process of this.processes) process.activated(deployment.id);
  }

  async release(deployment: Deployment): Promise<void> {
    this.released.add(deployment.id);
    if (this.released.size > RELEASED_MEMORY) this.released.delete(this.released.values().next().value!);
    for (const process of this.processes) process.release(deployment.id);
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.close()));
  }
}
