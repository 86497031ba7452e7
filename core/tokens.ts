// The DI tokens through which plugins share services. Explicit tokens, so no decorator metadata is needed.
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { Deployment } from './deployment.js';
import type { BlobStore } from './files/blob-store.js';
import type { AppModule } from './layer.js';
import type { RuntimeOptions } from './options.js';
import type { EdgeRuntime } from './runtime.js';

/** How a build was asked for: in dev, with the app-relative paths changed since the last build of the app. */
export interface BuildAppOptions {
  isDev?: boolean;
  /** Jobs whose entrypoint and `watch` list match none of these (nor `filesRemoved`) reuse their last output. */
  filesChanged?: string[];
  filesRemoved?: string[];
}

/** Builds an app module into a deployment (the builder host plugin provides it). */
export interface BuildHost {
  buildApp(app: AppModule, options?: BuildAppOptions): Promise<Deployment>;
}

/** What dev mode reports as it goes: a rebuild starting, an app live again, or a build that failed. */
export type WatchEvent =
  | { type: 'building'; app: string; files: string[] }
  | { type: 'ready'; app: string; deployment: string; ms: number; built: number; cached: number }
  | { type: 'failed'; app: string; error: { code: string; message: string } };

export interface WatchOptions {
  /** Called for each event (the CLI prints them); they are also logged. */
  onEvent?: (event: WatchEvent) => void;
  /** Quiet time after the last change before a rebuild starts, ms (changes within it are one batch). */
  debounceMs?: number;
}

export interface WatchHandle {
  /** Stops watching, after the rebuilds in flight finish. */
  close(): Promise<void>;
}

/** Dev mode: deploys every app of a folder and rebuilds an app when its files change (the builders plugin provides it). */
export interface Watcher {
  watch(appsDir: string, options?: WatchOptions): Promise<WatchHandle>;
}

export const Tokens = {
  /** Root container: the runtime itself. */
  Runtime: Symbol('hangar.runtime') as InjectionToken<EdgeRuntime>,
  /** Root container: the options the runtime was created with, defaults filled in. */
  Options: Symbol('hangar.options') as InjectionToken<Required<Pick<RuntimeOptions, 'limits'>> & RuntimeOptions>,
  /** Root: the host logger. App containers: a child logger tagged with the app. */
  Logger: Symbol('hangar.logger') as InjectionToken<Logger>,
  /** Root container: the content-addressed store behind FileRef. */
  BlobStore: Symbol('hangar.blobStore') as InjectionToken<BlobStore>,
  /** Root container: the builder host. */
  BuildHost: Symbol('hangar.buildHost') as InjectionToken<BuildHost>,
  /** Root container: dev mode's file watcher, behind `runtime.watch(appsDir)`. */
  Watcher: Symbol('hangar.watcher') as InjectionToken<Watcher>,
  /** App containers: the app's name. */
  AppName: Symbol('hangar.appName') as InjectionToken<string>,
} as const;

export type { DependencyContainer };
