// An app's bindings: collected once per isolate through the `bindings` hook, wrapped by guest source, called by index.
import type ivm from 'isolated-vm';
import type { AppBinding } from '../../core/bindings.js';
import type { Deployment } from '../../core/deployment.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { compileCachedSync, type CodeCacheSlot } from './code-cache.js';
import type { GuestBinding } from './protocol.js';

/**
 * Compiles the guest wrappers, `(raw) => value`, in one script: each eval is a compile on every cold start, so N
 * wrappers cost one eval instead of N. Synchronous: the isolate is new and runs nothing else, and a trip to its own
 * thread cost a cold start more than the compile.
 */
function compileFactories(isolate: ivm.Isolate, context: ivm.Context, sources: string[]): ivm.Reference[] {
  if (sources.length === 0) return [];
  const wrappers = sources.map((source) => `(function (raw) {\n'use strict';\nreturn (${source}\n);\n})`);
  const code = `[\n${wrappers.join(',\n')}\n]`;
  const array = compileCachedSync(isolate, code, 'hangar:bindings', cacheSlot(code)).runSync(context, { reference: true, release: true }) as ivm.Reference<unknown[]>;
  try {
    return sources.map((_, index) => array.getSync(index, { reference: true }) as ivm.Reference);
  } finally {
    array.release();
  }
}

/**
 * Code caches of the wrapper scripts, by source: every app of a runtime gets the same wrappers (the plugins' guest
 * sources), so each new isolate reads them from the cache instead of compiling them. Bounded, in case a plugin
 * makes sources per app.
 */
const factoryCaches = new Map<string, CodeCacheSlot>();
const FACTORY_CACHES = 64;

function cacheSlot(code: string): CodeCacheSlot {
  let slot = factoryCaches.get(code);
  if (!slot) {
    if (factoryCaches.size >= FACTORY_CACHES) factoryCaches.delete(factoryCaches.keys().next().value!);
    factoryCaches.set(code, (slot = {}));
  }
  return slot;
}

export class AppBindings {
  private constructor(
    private readonly list: AppBinding[],
    /** What attach() gets: each binding's name and method names. */
    readonly guest: GuestBinding[],
    /** The compiled guest wrappers, `(raw) => value`, that GuestBinding.factory indexes. */
    readonly factories: ivm.Reference[],
  ) {}

  static async collect(runtime: EdgeRuntime, deployment: Deployment, isolate: ivm.Isolate, context: ivm.Context): Promise<AppBindings> {
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
    return new AppBindings(list, guest, compileFactories(isolate, context, [...sources.keys()]));
  }

  /**
   * Runs a host method for the guest; only the binding's own methods can be reached. Answers what the method does (a
   * promise, as a rule), not a promise of it: every async layer a cache op's answer passes costs it microtask turns.
   */
  call(index: number, method: string, args: unknown[]): unknown {
    const binding = this.list[index];
    const fn = binding && Object.hasOwn(binding.methods, method) ? binding.methods[method] : undefined;
    if (typeof fn !== 'function') throw new TypeError(`env.${binding?.name ?? '?'} has no method ${method}`);
    return fn.apply(binding!.methods, args);
  }
}
