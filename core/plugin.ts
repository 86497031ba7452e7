// The plugin contract, in the style of webpack: a name and an apply(runtime) that taps hooks and registers services.
import type { EdgeRuntime } from './runtime.js';

export interface Plugin {
  /** Unique per runtime; used in logs and to stop a plugin being applied twice. */
  readonly name: string;
  apply(runtime: EdgeRuntime): void;
}
