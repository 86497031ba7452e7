// AppBinding: a host capability (the tenant cache, say) handed into an app's isolate by a plugin.
import type { DependencyContainer } from 'tsyringe';
import type { Deployment } from './deployment.js';

export interface AppBinding {
  /** The key under `env` in the app (for example `CACHE`). */
  name: string;
  /** Host methods. Arguments and results cross the isolate boundary by copy; host objects never do. */
  methods: Record<string, (...args: unknown[]) => Promise<unknown>>;
  /**
   * Guest source, an expression evaluated inside the isolate with `raw` in scope (an object whose
   * methods call `methods`). Its value is what the app sees. Absent: the app sees `raw` itself.
   */
  guest?: string;
  /**
   * Where the app finds the value. `env` (the default): at `env[name]`. `global`: only as the global `name` of
   * the app's isolate, leaving `env` alone — for web-standard APIs (`caches`) and for the modules the edge
   * builder maps to globals (`import cache from 'hangar:cache'` reads `globalThis['hangar:cache']`).
   */
  scope?: 'env' | 'global';
}

export interface BindingContext {
  app: string;
  deployment: Deployment;
  /** The app's child container. */
  container: DependencyContainer;
}
