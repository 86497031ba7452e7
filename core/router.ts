// Routing a request path through a deployment's Now-style routes to an output, a status, or a proxy URL.
import type { Deployment, Output } from './deployment.js';
import type { Route, RouteRule } from './layer.js';

export type RouteResult =
  /** Serve this output; `headers` come from matched rules. */
  | { kind: 'output'; path: string; output: Output; headers: Record<string, string>; status?: number }
  /** Answer with a bare status (redirects carry a Location header). */
  | { kind: 'status'; status: number; headers: Record<string, string> }
  /** Forward the request to an absolute URL. */
  | { kind: 'proxy'; url: string; headers: Record<string, string> }
  /** Nothing serves the path: 404. */
  | { kind: 'miss'; headers: Record<string, string> };

const compiled = new WeakMap<RouteRule, RegExp>();

function regexOf(rule: RouteRule): RegExp {
  let re = compiled.get(rule);
  if (!re) {
    re = new RegExp(`^${rule.src.replace(/^\^/, '').replace(/\$$/, '')}$`, 'i');
    compiled.set(rule, re);
  }
  return re;
}

/** Replaces `$1`… and `$name` in `dest` with the groups of the match. */
function substitute(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\d+|[A-Za-z_][A-Za-z0-9_]*)/g, (whole, ref: string) => {
    const value = /^\d+$/.test(ref) ? match[Number(ref)] : match.groups?.[ref];
    return value ?? (/^\d+$/.test(ref) ? '' : whole);
  });
}

/** Finds the output for a path: the exact key, or the folder's index.html. */
export function findOutput(output: Deployment['output'], pathname: string): { path: string; output: Output } | undefined {
  const key = decodeURIComponent(pathname).replace(/^\/+/, '');
  for (const candidate of [key, key ? `${key.replace(/\/$/, '')}/index.html` : 'index.html', `${key}.html`]) {
    const found = output[candidate];
    if (found) return { path: candidate, output: found };
  }
  return undefined;
}

/** Routes one request path. Rules before `{ handle: 'filesystem' }` run first; then the filesystem; then the rest. */
export function route(deployment: Deployment, method: string, pathname: string): RouteResult {
  const headers: Record<string, string> = {};
  let path = pathname;
  const routes: readonly Route[] = deployment.routes;
  for (const entry of routes) {
    if ('handle' in entry) {
      if (entry.handle === 'filesystem') {
        const hit = findOutput(deployment.output, path);
        if (hit && hit.output.type !== 'Lambda') return { kind: 'output', ...hit, headers };
      }
      continue;
    }
    if (entry.methods && !entry.methods.some((m) => m.toUpperCase() === method)) continue;
    const match = regexOf(entry).exec(path);
    if (!match) continue;
    for (const [name, value] of Object.entries(entry.headers ?? {})) headers[name.toLowerCase()] = substitute(value, match);
    if (entry.dest !== undefined) {
      const dest = substitute(entry.dest, match);
      if (/^https?:\/\//i.test(dest)) return { kind: 'proxy', url: dest, headers };
      path = dest.split('?')[0]!;
      if (!path.startsWith('/')) path = `/${path}`;
    }
    if (entry.status !== undefined && entry.dest === undefined) return { kind: 'status', status: entry.status, headers };
    if (!entry.continue) {
      const hit = findOutput(deployment.output, path);
      if (hit) return { kind: 'output', ...hit, headers, status: entry.status };
      return { kind: 'miss', headers };
    }
  }
  const hit = findOutput(deployment.output, path);
  return hit ? { kind: 'output', ...hit, headers } : { kind: 'miss', headers };
}
