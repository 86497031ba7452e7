// Routing a request path through a deployment's Now-style routes to an output, a status, or a proxy URL.
import type { BuilderRoutes, Deployment, Output } from './deployment.js';
import type { Route, RouteRule } from './layer.js';

export type RouteResult =
  /** Serve this output; `headers` come from matched rules; `search` is the query the rules produced. */
  | { kind: 'output'; path: string; output: Output; headers: Record<string, string>; status?: number; search?: string }
  /** Answer with a bare status (redirects carry a Location header). */
  | { kind: 'status'; status: number; headers: Record<string, string> }
  /** Forward the request to an absolute URL. */
  | { kind: 'proxy'; url: string; headers: Record<string, string> }
  /** Nothing serves the path: 404. */
  | { kind: 'miss'; headers: Record<string, string> };

const RULE_KEYS = new Set(['src', 'dest', 'headers', 'methods', 'status', 'continue', 'check']);
const HANDLES = new Set(['filesystem', 'miss', 'hit', 'error', 'rewrite']);

/** `src` anchored at both ends (as Now does), wrapped so an alternation stays inside the anchors. */
function anchored(src: string): string {
  const body = src.replace(/^\^/, '').replace(/(?<!\\)\$$/, '');
  return `^(?:${body})$`;
}

const compiled = new WeakMap<RouteRule, RegExp>();

function regexOf(rule: RouteRule): RegExp {
  let re = compiled.get(rule);
  if (!re) compiled.set(rule, (re = new RegExp(anchored(rule.src), 'i')));
  return re;
}

/** What is wrong with a route, or undefined when it is a valid rule or phase marker. */
export function routeProblem(route: unknown): string | undefined {
  const r = route as Record<string, unknown> | null;
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'must be an object';
  if ('handle' in r) {
    if (Object.keys(r).length !== 1) return '"handle" stands alone in its route';
    return HANDLES.has(r.handle as string) ? undefined : `"handle" must be one of ${[...HANDLES].join(', ')}`;
  }
  const unknown = Object.keys(r).find((key) => !RULE_KEYS.has(key));
  if (unknown) return `has an unknown field ${JSON.stringify(unknown)}`;
  if (typeof r.src !== 'string' || !r.src) return 'needs "src", a regular expression';
  try {
    new RegExp(anchored(r.src));
  } catch (error) {
    return `"src" is not a valid regular expression (${(error as Error).message})`;
  }
  if (r.dest !== undefined && typeof r.dest !== 'string') return '"dest" must be a string';
  if (r.headers !== undefined && (typeof r.headers !== 'object' || !r.headers || Object.values(r.headers).some((v) => typeof v !== 'string'))) {
    return '"headers" must map names to strings';
  }
  if (r.methods !== undefined && (!Array.isArray(r.methods) || r.methods.some((m) => typeof m !== 'string'))) return '"methods" must be an array of method names';
  if (r.status !== undefined && !(Number.isInteger(r.status) && (r.status as number) >= 100 && (r.status as number) <= 599)) return '"status" must be an HTTP status';
  for (const flag of ['continue', 'check'] as const) if (r[flag] !== undefined && typeof r[flag] !== 'boolean') return `"${flag}" must be true or false`;
  return undefined;
}

/** Replaces `$1`… and `$name` with the groups of the match; unknown names stay as written. */
function substitute(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\d+|[A-Za-z_][A-Za-z0-9_]*)/g, (whole, ref: string) => {
    if (/^\d+$/.test(ref)) return match[Number(ref)] ?? '';
    return match.groups && ref in match.groups ? match.groups[ref] ?? '' : whole;
  });
}

/** Finds the output for a path: the exact key, or the folder's index.html, or the path with .html. */
export function findOutput(output: Deployment['output'], pathname: string): { path: string; output: Output } | undefined {
  let key: string;
  try {
    key = decodeURIComponent(pathname).replace(/^\/+/, '');
  } catch {
    return undefined; // malformed percent-encoding names no file
  }
  for (const candidate of [key, key ? `${key.replace(/\/$/, '')}/index.html` : 'index.html', `${key}.html`]) {
    const found = Object.hasOwn(output, candidate) ? output[candidate] : undefined;
    if (found) return { path: candidate, output: found };
  }
  return undefined;
}

/** The state of one routing pass: the path being rewritten, and what matched rules added. */
interface Walk {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  status?: number;
}

type Lookup = (walk: Walk) => Promise<RouteResult | undefined>;

/** Routes split at their `handle` markers: the rules before any marker, and the rules of each phase. */
interface Phases {
  main: RouteRule[];
  filesystem: boolean;
  /** Rules after `filesystem`, `rewrite` or `miss`: they run when the filesystem did not answer. */
  afterFilesystem: RouteRule[];
  hit: RouteRule[];
  error: RouteRule[];
}

const phaseCache = new WeakMap<readonly Route[], Phases>();

function phasesOf(routes: readonly Route[]): Phases {
  const cached = phaseCache.get(routes);
  if (cached) return cached;
  const phases: Phases = { main: [], filesystem: false, afterFilesystem: [], hit: [], error: [] };
  let into = phases.main;
  for (const entry of routes) {
    if (!('handle' in entry)) {
      into.push(entry);
      continue;
    }
    if (entry.handle === 'filesystem') phases.filesystem = true;
    into = entry.handle === 'hit' ? phases.hit : entry.handle === 'error' ? phases.error : phases.afterFilesystem;
  }
  phaseCache.set(routes, phases);
  return phases;
}

/** Joins a dest's query onto the request's, the dest winning on equal names. */
function mergeQuery(into: URLSearchParams, search: string): URLSearchParams {
  const merged = new URLSearchParams(into);
  for (const [name, value] of new URLSearchParams(search)) merged.set(name, value);
  return merged;
}

/** Adds what the walk gathered (headers; for outputs also status and query) to a result. */
function finish(walk: Walk, result: RouteResult): RouteResult {
  const headers = { ...walk.headers, ...result.headers };
  if (result.kind !== 'output') return { ...result, headers };
  const search = walk.query.toString();
  return { ...result, headers, status: result.status ?? walk.status, ...(search ? { search: `?${search}` } : {}) };
}

type RuleOutcome = { done: RouteResult } | { next: true };

/**
 * Runs a list of rules over the walk. A matching rule adds its headers and rewrites the path; `continue` goes on,
 * otherwise the rewritten path is looked up (with `check`, a missing destination lets matching go on).
 */
async function runRules(rules: readonly RouteRule[], walk: Walk, method: string, lookup: Lookup): Promise<RuleOutcome> {
  for (const rule of rules) {
    if (rule.methods && !rule.methods.some((m) => m.toUpperCase() === method)) continue;
    const re = regexOf(rule);
    const match = re.exec(walk.path) ?? re.exec(walk.path.slice(1));
    if (!match) continue;
    for (const [name, value] of Object.entries(rule.headers ?? {})) walk.headers[name.toLowerCase()] = substitute(value, match);
    let path = walk.path;
    let query = walk.query;
    if (rule.dest !== undefined) {
      const dest = substitute(rule.dest, match);
      if (/^https?:\/\//i.test(dest)) {
        const url = new URL(dest);
        url.search = mergeQuery(walk.query, url.search).toString();
        return { done: { kind: 'proxy', url: url.href, headers: walk.headers } };
      }
      const at = dest.indexOf('?');
      path = at < 0 ? dest : dest.slice(0, at);
      if (!path.startsWith('/')) path = `/${path}`;
      query = at < 0 ? walk.query : mergeQuery(walk.query, dest.slice(at));
    }
    if (rule.continue) {
      Object.assign(walk, { path, query, status: rule.status ?? walk.status });
      continue;
    }
    if (rule.dest === undefined && rule.status !== undefined) return { done: { kind: 'status', status: rule.status, headers: walk.headers } };
    const attempt: Walk = { ...walk, path, query, status: rule.status ?? walk.status };
    const found = await lookup(attempt);
    if (found) return { done: finish(attempt, found) };
    if (!rule.check) {
      Object.assign(walk, attempt);
      return { done: { kind: 'miss', headers: walk.headers } };
    }
  }
  return { next: true };
}

/** Applies the `hit` phase: headers of matching rules, added to a found output. */
function applyHit(rules: readonly RouteRule[], walk: Walk, method: string): void {
  for (const rule of rules) {
    if (rule.methods && !rule.methods.some((m) => m.toUpperCase() === method)) continue;
    const match = regexOf(rule).exec(walk.path);
    if (match) for (const [name, value] of Object.entries(rule.headers ?? {})) walk.headers[name.toLowerCase()] = substitute(value, match);
  }
}

/** One full pass of routes over a walk, with `lookup` answering for paths. */
async function pass(phases: Phases, walk: Walk, method: string, lookup: Lookup): Promise<RouteResult> {
  const filesystem = async (): Promise<RouteResult | undefined> => {
    const found = await lookup(walk);
    if (!found) return undefined;
    applyHit(phases.hit, walk, method);
    return finish(walk, found);
  };
  const main = await runRules(phases.main, walk, method, lookup);
  let result = 'done' in main ? main.done : undefined;
  if (!result && phases.filesystem) result = await filesystem();
  if (!result) {
    const after = await runRules(phases.afterFilesystem, walk, method, lookup);
    result = 'done' in after ? after.done : undefined;
  }
  result ??= (!phases.filesystem && (await filesystem())) || { kind: 'miss', headers: walk.headers };
  if (result.kind !== 'miss' || !phases.error.length) return result;
  // The error phase: its rules pick what a miss answers with, as a 404 unless they set a status.
  const errorWalk: Walk = { ...walk, status: 404 };
  const onError = await runRules(phases.error, errorWalk, method, lookup);
  return 'done' in onError ? onError.done : result;
}

/** True when a builder's job serves `path`: one of its paths (or their index/.html forms), or what its shouldServe accepts. */
async function serves(group: BuilderRoutes, path: string): Promise<boolean> {
  const key = path.replace(/^\/+/, '');
  const candidates = [key, key ? `${key.replace(/\/$/, '')}/index.html` : 'index.html', `${key}.html`];
  if (candidates.some((candidate) => group.paths.includes(candidate))) return true;
  return group.shouldServe ? group.shouldServe(key) : false;
}

/** How many routing results a deployment keeps: enough for its hot paths, bounded against unique query strings. */
const REMEMBERED_ROUTES = 1024;
/** Routing results by deployment, method, path and query: a deployment never changes, so neither does its answer. */
const remembered = new WeakMap<Deployment, Map<string, RouteResult>>();

function frozen(result: RouteResult): RouteResult {
  Object.freeze(result.headers);
  return Object.freeze(result);
}

/**
 * Routes one request path. The deployment's routes run first (before `{ handle: 'filesystem' }`, the filesystem,
 * then the rest, and the `error` phase on a miss); a path a builder serves then runs through that builder's routes.
 * `search` is the request's query string, which dest queries join and proxies keep. The result is frozen and shared:
 * the same request to the same deployment gets the same object, at once (no promise) once it was routed before.
 */
export function route(deployment: Deployment, method: string, pathname: string, search = ''): RouteResult | Promise<RouteResult> {
  let results = remembered.get(deployment);
  if (!results) remembered.set(deployment, (results = new Map()));
  const key = `${method}\n${pathname}\n${search}`;
  const known = results.get(key);
  if (known) return known;
  return walkRoutes(deployment, method, pathname, search).then((walked) => {
    const result = frozen(walked);
    // Oldest first out: a Map iterates in insertion order.
    if (results.size >= REMEMBERED_ROUTES) results.delete(results.keys().next().value!);
    results.set(key, result);
    return result;
  });
}

async function walkRoutes(deployment: Deployment, method: string, pathname: string, search: string): Promise<RouteResult> {
  const upper = method.toUpperCase();
  const plain: Lookup = async (walk) => {
    const hit = findOutput(deployment.output, walk.path);
    return hit && { kind: 'output', ...hit, headers: {} };
  };
  const lookup: Lookup = async (walk) => {
    let group: BuilderRoutes | undefined;
    for (const candidate of deployment.builderRoutes ?? []) {
      if (candidate.routes.length && (await serves(candidate, walk.path))) {
        group = candidate;
        break;
      }
    }
    if (!group) return plain(walk);
    const inner: Walk = { path: walk.path, query: walk.query, headers: {} };
    const result = await pass(phasesOf(group.routes), inner, upper, plain);
    if (result.kind === 'miss') return undefined;
    // The builder's query replaces the walk's (it started from it); finish() adds the first pass's headers.
    walk.query = inner.query;
    return result;
  };
  const walk: Walk = { path: pathname, query: new URLSearchParams(search), headers: {} };
  return pass(phasesOf(deployment.routes), walk, upper, lookup);
}
