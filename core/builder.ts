// The Now Runtime API (version 3) as Hangar's builder contract: build, analyze, prepareCache, shouldServe.
import type { Lambda } from './files/lambda.js';
import type { File, Files } from './files/types.js';
import type { Route } from './layer.js';

export type BuilderConfig = Record<string, unknown>;

export interface BuildMeta {
  isDev?: boolean;
  requestPath?: string;
  filesChanged?: string[];
  filesRemoved?: string[];
}

export interface BuildOptions {
  /** All of the module's source files. */
  files: Files;
  /** The one file this job builds (a path key of `files`). */
  entrypoint: string;
  /** A writeable folder holding the downloaded files (and the restored cache). */
  workPath: string;
  /**
   * The app's source folder on disk, when its sources are a local folder. A builder writes files meant to live with
   * the source there (the edge builder's `hangar.lock`); everything else goes to workPath.
   */
  sourcePath?: string;
  config: BuilderConfig;
  meta?: BuildMeta;
}

/** Version 3: one Lambda for the entrypoint. */
export interface BuildResultV3 {
  output: Lambda;
  routes?: Route[];
  watch?: string[];
}

/** Version 2 and the static builders: a map of paths to files and Lambdas. */
export interface BuildResultV2 {
  output: Record<string, File | Lambda>;
  routes?: Route[];
  watch?: string[];
}

export type BuildResult = BuildResultV3 | BuildResultV2;

export interface AnalyzeOptions {
  files: Files;
  entrypoint: string;
  workPath: string;
  config: BuilderConfig;
}

export interface PrepareCacheOptions extends AnalyzeOptions {
  /** The result of the build that just ran. */
  buildResult?: BuildResult;
}

export interface ShouldServeOptions {
  requestPath: string;
  entrypoint: string;
  files: Files;
  workPath: string;
  config: BuilderConfig;
}

/** A builder module, exactly the shape of a Now builder package's exports. */
export interface Builder {
  version: 2 | 3;
  build(options: BuildOptions): Promise<BuildResult> | BuildResult;
  /** A fingerprint of the inputs; equal fingerprints reuse the cached output. */
  analyze?(options: AnalyzeOptions): Promise<string> | string;
  /** Files to keep for the next build's workPath. */
  prepareCache?(options: PrepareCacheOptions): Promise<Files> | Files;
  shouldServe?(options: ShouldServeOptions): Promise<boolean> | boolean;
}
