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
}

export interface BindingContext {
  app: string;
  deployment: Deployment;
  /** The app's child container. */
  container: DependencyContainer;
}
