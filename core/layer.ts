// The layer model's types (Fury's build model): layers hold projects, projects hold modules, app modules carry Now config.

/** A Now-style route: a rewrite/redirect/header rule, or a phase marker like `{ handle: 'filesystem' }`. */
export type Route = RouteRule | RouteHandle;

export interface RouteRule {
  /** Anchored, case-insensitive regular expression matched against the path. */
  src: string;
  /** Rewrite target; `$1` and `$name` refer to the groups of `src`. A full URL proxies. */
  dest?: string;
  /** Response headers to add. */
  headers?: Record<string, string>;
  /** Methods this rule applies to; all when absent. */
  methods?: string[];
  /** Answer with this status (a redirect when `headers.Location` is set). */
  status?: number;
  /** Keep matching later rules after this one applies. */
  continue?: boolean;
  /** Only apply the rewrite when its destination exists. */
  check?: boolean;
}

export interface RouteHandle {
  handle: 'filesystem' | 'miss' | 'hit' | 'error' | 'rewrite';
}

/** One `builds[]` entry: each file matched by `src` is its own build job, built by `use`. */
export interface BuildSpec {
  src: string;
  use: string;
  config?: Record<string, unknown>;
}

/** Where a module's source files come from; resolved by the `resolveSource` hook. */
export type SourceSpec =
  | { path: string } // relative to the layer's base directory (never hashed as an absolute path)
  | { git: string; commit: string }
  | { module: string }; // `project/module`: another module's build output

export type ModuleKind = 'lib' | 'app' | 'builder';

/** What an app's fetch() may reach beyond the defaults (hangar.json `fetch`). */
export interface FetchPolicy {
  /** Hostnames (or IP literals) the app may fetch although they resolve to loopback, link-local or private addresses. */
  allow?: string[];
  /** Timeout of each fetch() the app makes, ms; it may lower the runtime's `limits.fetchTimeoutMs`, not raise it. */
  timeoutMs?: number;
}

export interface Module {
  kind: ModuleKind;
  sources: SourceSpec[];
  /** Other modules, as `project/module`, possibly from imported layers. */
  dependencies?: string[];
  /** App modules only: Now-style build jobs, routes, hostnames and env. */
  builds?: BuildSpec[];
  routes?: Route[];
  hostnames?: string[];
  env?: Record<string, string>;
  fetch?: FetchPolicy;
}

export interface Project {
  description?: string;
  modules: Record<string, Module>;
}

export interface Import {
  /** The imported layer's id (`sha256-...`) or a name the resolvers understand. */
  ref: string;
  published?: { catalog: string; name: string; version: string };
  policy?: 'pinned' | 'patch' | 'minor' | 'latest';
}

export interface Repo {
  url: string;
  commit: string;
}

/** The hashed content of a layer. Its id is sha256 of its canonical JSON (RFC 8785). */
export interface Layer {
  projects: Record<string, Project>;
  repos?: Record<string, Repo>;
  imports?: Record<string, Import>;
}

/** A layer as resolved: its content, its id, and where its relative sources live (not hashed). */
export interface ResolvedLayer {
  id: string;
  layer: Layer;
  /** Base directory for `{ path }` sources; absent for layers with no local sources. */
  baseDir?: string;
  /** Where it came from, for error messages (a file path, a store key, a catalog name). */
  origin: string;
}

/** An app module picked out of a resolved layer, with the name it is served under. */
export interface AppModule {
  /** `project` when the module key is `app`, else `project/module`. */
  name: string;
  project: string;
  module: string;
  definition: Module;
  layer: ResolvedLayer;
}

/** The name an app module is served and logged under. */
export function appName(project: string, module: string): string {
  return module === 'app' ? project : `${project}/${module}`;
}
