// The DI tokens through which plugins share services. Explicit tokens, so no decorator metadata is needed.
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { Deployment } from './deployment.js';
import type { BlobStore } from './files/blob-store.js';
import type { AppModule } from './layer.js';
import type { RuntimeOptions } from './options.js';
import type { EdgeRuntime } from './runtime.js';

/** Builds an app module into a deployment (the builder host plugin provides it). */
export interface BuildHost {
  buildApp(app: AppModule, options?: { isDev?: boolean; filesChanged?: string[]; filesRemoved?: string[] }): Promise<Deployment>;
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
  /** App containers: the app's name. */
  AppName: Symbol('hangar.appName') as InjectionToken<string>,
} as const;

export type { DependencyContainer };
