// The `hangar` package entry: the programmatic API and its types.
export { createRuntime } from './create-runtime.js';
export { EdgeRuntime, type AppInfo } from './runtime.js';
export type { Plugin } from './plugin.js';
export { createHooks, type Hooks, type AppMatch, type BuildJob, type BuildOutcome, type ResolveContext } from './hooks.js';
export { Tokens, type BuildHost, type BuildAppOptions, type Watcher, type WatchEvent, type WatchHandle, type WatchOptions } from './tokens.js';
export { HangarError, ErrorCode, toHangarError, type ErrorCodeName, type HangarErrorOptions } from './errors.js';
export { DEFAULT_LIMITS, type ExecutorOptions, type Limits, type RuntimeOptions } from './options.js';
export type { RequestContext, LogRecord } from './context.js';
export type { Executor, DispatchTarget } from './executor.js';
export type { AppBinding, BindingContext } from './bindings.js';
export type * from './builder.js';
export type * from './layer.js';
export { appName } from './layer.js';
export { createDeployment, type Deployment, type DeploymentInput, type Output } from './deployment.js';
export { route, findOutput, type RouteResult } from './router.js';
export * from './files/index.js';
export { VERSION } from './version.js';
