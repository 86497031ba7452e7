// The parent's side of bindings in process mode: an app's bindings are collected and their host methods run here, for a child.
import type { AppBinding } from '../../../core/bindings.js';
import type { Deployment } from '../../../core/deployment.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import type { ShippedBinding } from './protocol.js';

/** Each isolate collects its bindings once; a deployment's isolates rarely number more than this in one process. */
const HANDLES_PER_DEPLOYMENT = 16;

interface Collected {
  deploymentId: string;
  list: AppBinding[];
}

export class BindingsHost {
  /** One handle per collection, in collection order (the oldest is dropped first). */
  private readonly handles = new Map<number, Collected>();
  private nextHandle = 1;

  constructor(private readonly runtime: EdgeRuntime) {}

  /**
   * Runs the `bindings` hook here, where the services behind the bindings live (the tenant cache, say). The child
   * gets the data fields and method names; a binding without methods is shipped nameless, so the child's checks
   * refuse it as they do inline.
   */
  async collect(deployment: Deployment): Promise<{ handle: number; bindings: ShippedBinding[] }> {
    const { app } = deployment;
    const list = await this.runtime.hooks.bindings.promise([], { app, deployment, container: this.runtime.appContainer(app) });
    const handle = this.nextHandle++;
    this.handles.set(handle, { deploymentId: deployment.id, list });
    this.trim(deployment.id);
    const bindings = list.map((binding): ShippedBinding => {
      if (typeof binding !== 'object' || binding === null || typeof binding.methods !== 'object' || binding.methods === null) return { name: '', methods: [] };
      const { methods, ...data } = binding;
      return { ...data, methods: Object.keys(methods) };
    });
    return { handle, bindings };
  }

  /** Runs a host method for a child; only the binding's own methods can be reached. */
  async call(handle: number, index: number, method: string, args: unknown[]): Promise<unknown> {
    const binding = this.handles.get(handle)?.list[index];
    if (!binding) throw new TypeError('this binding is gone: its deployment no longer serves');
    const fn = Object.hasOwn(binding.methods, method) ? binding.methods[method] : undefined;
    if (typeof fn !== 'function') throw new TypeError(`env.${binding.name} has no method ${method}`);
    return fn.apply(binding.methods, args);
  }

  release(deploymentId: string): void {
    for (const [handle, collected] of this.handles) if (collected.deploymentId === deploymentId) this.handles.delete(handle);
  }

  clear(): void {
    this.handles.clear();
  }

  private trim(deploymentId: string): void {
    const mine = [...this.handles].filter(([, collected]) => collected.deploymentId === deploymentId);
    for (const [handle] of mine.slice(0, Math.max(0, mine.length - HANDLES_PER_DEPLOYMENT))) this.handles.delete(handle);
  }
}
