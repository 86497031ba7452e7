// An app's bindings: collected once per isolate through the `bindings` hook, wrapped by guest source, called by index.
import type ivm from 'isolated-vm';
import type { AppBinding } from '../../core/bindings.js';
import type { Deployment } from '../../core/deployment.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { GuestBinding } from './protocol.js';

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
    const factories: ivm.Reference[] = [];
    for (const binding of list) {
      if (typeof binding?.name !== 'string' || !binding.name || typeof binding.methods !== 'object' || binding.methods === null) {
        throw new HangarError(ErrorCode.INTERNAL, `a bindings tap gave app ${app} a binding without a name or methods`);
      }
      let factory: number | null = null;
      if (binding.guest !== undefined) {
        factory = factories.length;
        const source = `(function (raw) {\n'use strict';\nreturn (${binding.guest}\n);\n})`;
        factories.push((await context.eval(source, { reference: true, filename: `hangar:binding/${binding.name}` })) as ivm.Reference);
      }
      guest.push({ name: binding.name, methods: Object.keys(binding.methods), factory, scope: binding.scope === 'global' ? 'global' : 'env' });
    }
    return new AppBindings(list, guest, factories);
  }

  /** Runs a host method for the guest; only the binding's own methods can be reached. */
  async call(index: number, method: string, args: unknown[]): Promise<unknown> {
    const binding = this.list[index];
    const fn = binding && Object.hasOwn(binding.methods, method) ? binding.methods[method] : undefined;
    if (typeof fn !== 'function') throw new TypeError(`env.${binding?.name ?? '?'} has no method ${method}`);
    return fn.apply(binding!.methods, args);
  }
}
