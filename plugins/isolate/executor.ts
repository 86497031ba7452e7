// The executor for Lambdas of runtime `edge`: each request runs in its app's isolate, within the app's limits.
import type { RequestContext } from '../../core/context.js';
import type { Deployment } from '../../core/deployment.js';
import type { DispatchTarget, Executor } from '../../core/executor.js';
import type { Lambda } from '../../core/files/lambda.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { AppIsolate } from './app-isolate.js';
import { prepareBootstrap } from './bootstrap.js';
import { warmBootstrap } from './bootstrap-warm-up.js';
import { Deadline } from './deadline.js';
import { limitsFor } from './limits.js';
import { IsolatePool, type IsolateStats } from './pool.js';
import { SameThread, sameThreadPolicy } from './same-thread.js';
import { sparesFor, type SpareIsolates } from './spare-isolates.js';

export class IsolateExecutor implements Executor {
  readonly runtime = 'edge';
  private readonly pool: IsolatePool;
  private readonly spares: SpareIsolates;
  /** Each Lambda's wall-time limit, worked out on its first request rather than on every one. */
  private readonly wallMs = new WeakMap<Lambda, number>();
  /** Each app Lambda's same-thread record, kept while its deployment is, whichever isolates come and go. */
  private readonly sameThreads = new WeakMap<Lambda, SameThread>();

  constructor(private readonly host: EdgeRuntime) {
    this.spares = sparesFor(host);
    const { limits } = host;
    const policy = sameThreadPolicy(host.options.executor?.sameThread);
    const sameThreadOf = (lambda: Lambda) => {
      let record = this.sameThreads.get(lambda);
      if (!record) this.sameThreads.set(lambda, (record = new SameThread(policy)));
      return record;
    };
    this.pool = new IsolatePool(
      (target, deadline, events) =>
        AppIsolate.create(
          {
            runtime: host,
            deployment: target.deployment,
            lambda: target.lambda,
            limits: limitsFor(limits, target.deployment, target.lambda),
            spares: this.spares,
            events,
            sameThread: sameThreadOf(target.lambda),
          },
          deadline,
        ),
      {
        min: limits.isolatesMinPerApp,
        max: Math.max(1, limits.isolatesPerApp),
        maxIsolates: Math.max(1, limits.maxIsolates),
        idleMs: limits.idleMs,
        recycleHeapShare: limits.recycleHeapShare,
      },
      (target) => new Deadline(limitsFor(limits, target.deployment, target.lambda).wallMs, target.deployment.app),
      (error, target) => host.logger.error({ err: error, app: target.deployment.app }, `a warm isolate of app ${target.deployment.app} could not be started`),
    );
  }

  /** Bundles the bootstrap and warms its code cache, then makes the spare isolates (at runtime start). */
  async prepare(): Promise<void> {
    await prepareBootstrap();
    // Best effort: without it, isolates compile the bootstrap's functions as they first run them.
    await warmBootstrap(this.host.limits).catch((error: unknown) => this.host.logger.warn({ err: error }, 'the isolate bootstrap code cache could not be warmed'));
    this.spares.fill();
  }

  /**
   * Starting an isolate (the app's top-level code included) and answering the request each get the wall-time
   * limit: a cold start is not charged to the request, and neither can run unbounded.
   */
  dispatch(request: Request, target: DispatchTarget, context: RequestContext): Promise<Response> {
    let wallMs = this.wallMs.get(target.lambda);
    if (wallMs === undefined) {
      wallMs = limitsFor(this.host.limits, target.deployment, target.lambda).wallMs;
      this.wallMs.set(target.lambda, wallMs);
    }
    const { app } = target.deployment;
    const deadline = new Deadline(wallMs, app);
    let found: AppIsolate | Promise<AppIsolate>;
    try {
      found = this.pool.acquire(target, deadline);
    } catch (error) {
      return Promise.reject(error);
    }
    // A warm isolate: the request starts now, so the startup deadline is its own.
    if (!(found instanceof Promise)) return found.dispatch(request, context, deadline);
    return deadline.race(found, () => undefined).then((isolate) => isolate.dispatch(request, context, new Deadline(wallMs, app)));
  }

  /** A deployment now serves (again): its edge Lambdas get their `isolatesMinPerApp` isolates. */
  activated(deployment: Deployment): void {
    this.pool.revive(deployment.id);
    if (this.host.limits.isolatesMinPerApp <= 0) return;
    const targets = Object.entries(deployment.output).flatMap(([path, output]) =>
      output.type === 'Lambda' && output.runtime === this.runtime ? [{ deployment, lambda: output, path }] : [],
    );
    this.pool.warm(targets);
  }

  /** Every live isolate, with its load and heap. */
  stats(): Promise<IsolateStats[]> {
    return this.pool.stats();
  }

  async release(deployment: Deployment): Promise<void> {
    this.pool.release(deployment.id);
  }

  async close(): Promise<void> {
    this.spares.close();
    this.pool.close();
  }
}
