// An app's bindings: collected once per isolate through the `bindings` hook, wrapped by guest source, called by index.
import type ivm from 'isolated-vm';
import type { AppBinding } from '../../core/bindings.js';
import type { Deployment } from '../../core/deployment.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { GuestBinding } from './protocol.js';

/**
 * Compiles the guest wrappers, `(raw) => value`, in one script: each eval is a trip to the isolate's thread and a
 * compile on every cold start, so N wrappers cost one eval and one batch of reads instead of N evals.
 */
async function compileFactories(context: ivm.Context, sources: string[]): Promise<ivm.Reference[]> {
  if (sources.length === 0) return [];
  const wrappers = sources.map((source) => `(function (raw) {\n'use strict';\nreturn (${source}\n);\n})`);
  const array = (await context.eval(`[\n${wrappers.join(',\n')}\n]`, { reference: true, filename: 'hangar:bindings' })) as ivm.Reference<unknown[]>;
  try {
    return await Promise.all(sources.map((_, index) => array.get(index, { reference: true }) as Promise<ivm.Reference>));
  } finally {
    array.release();
  }
}

export class AppBindings {
  private constructor(
    private readonly list: AppBinding[],
    /** What install() gets: each binding's name and method names. */
    readonly guest: GuestBinding[],
    /** The compiled guest wrappers, `(raw) => value`, that GuestBinding.factory indexes. */
    readonly factories: ivm.Reference[],
  ) {}

  static async collect(runtime: EdgeRuntime, deployment: Deployment, context: ivm.Context): Promise<AppBindings> {
    const app = deployment.app;
    const list = await runtime.hooks.bindings.promise([], { app, deployment, container: runtime.appContainer(app) }).catch((error: unknown) => {
      throw new HangarError(ErrorCode.INTERNAL, `collecting the bindings of app ${app} failed: ${(error as Error).message}`, { cause: error });
    });
    const guest: GuestBinding[] = [];
    /** Each distinct wrapper source once, by its index in `factories`: bindings that share a wrapper share its factory. */
    const sources = new Map<string, number>();
    for (const binding of list) {
      if (typeof binding?.name !== 'string' || !binding.name || typeof binding.methods !== 'object' || binding.methods === null) {
        throw new HangarError(ErrorCode.INTERNAL, `a bindings tap gave app ${app} a binding without a name or methods`);
      }
      let factory: number | null = null;
      if (binding.guest !== undefined) {
        factory = sources.get(binding.guest) ?? sources.size;
        sources.set(binding.guest, factory);
      }
      guest.push({ name: binding.name, methods: Object.keys(binding.methods), factory, scope: binding.scope === 'global' ? 'global' : 'env' });
    }
    return new AppBindings(list, guest, await compileFactories(context, [...sources.keys()]));
  }

  /** Runs a host method for the guest; only the binding's own methods can be reached. */
  async call(index: number, method: string, args: unknown[]): Promise<unknown> {
    const binding = this.list[index];
    const fn = binding && Object.hasOwn(binding.methods, method) ? binding.methods[method] : undefined;
    if (typeof fn !== 'function') throw new TypeError(`env.${binding?.name ?? '?'} has no method ${method}`);
    return fn.apply(binding!.methods, args);
  }
}
