// Outbound HTTP for apps and proxy routes: refuses loopback, link-local and private addresses after DNS (SSRF).
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Deployment } from './deployment.js';
import { ErrorCode, HangarError } from './errors.js';
import { headerValue } from './lazy-request.js';
import type { Limits } from './options.js';

const privateRanges = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) privateRanges.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) {
  privateRanges.addSubnet(net, bits, 'ipv6');
}

/** True for addresses an app must not reach unless its allow-list names the host. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) {
    return privateRanges.check(address.slice(7), 'ipv4');
  }
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Counts the apps a request went through, so a loop of apps fetching apps ends (limits.fetchDepth). */
export const DEPTH_HEADER = 'x-hangar-depth';

/** How many app hops a request has made: its DEPTH_HEADER, 0 when absent or not a count. */
export function requestDepth(request: Request): number {
  const depth = Number(headerValue(request, DEPTH_HEADER));
  return Number.isSafeInteger(depth) && depth > 0 ? depth : 0;
}

export interface OutboundPolicy {
  /** Hostnames allowed to resolve to private addresses (the app's allow-list). */
  allowHosts?: readonly string[];
  timeoutMs: number;
  /** Sent as DEPTH_HEADER: the hops of the request this fetch is made for, plus one. */
  depth?: number;
  /** Ends the fetch early (an app's AbortSignal); the timeout applies as well. */
  signal?: AbortSignal;
}

/** A deployment's outbound rules: its allow-list, and its timeout, which may lower the runtime's but not raise it. */
export function deploymentPolicy(deployment: Deployment, limits: Pick<Limits, 'fetchTimeoutMs'>): { allowHosts: string[]; timeoutMs: number } {
  return {
    allowHosts: (deployment.fetch?.allow ?? []).map((host) => host.toLowerCase()),
    timeoutMs: Math.min(limits.fetchTimeoutMs, deployment.fetch?.timeoutMs ?? Infinity),
  };
}

function guardedAgent(allowHosts: ReadonlySet<string>): Agent {
  return new Agent({
    connect: {
      // Checked at connect time, on the address actually dialled, so DNS rebinding cannot slip past.
      lookup(hostname, options, callback) {
        dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, '', 0);
          const list = addresses as LookupAddress[];
          const bad = !allowHosts.has(hostname.toLowerCase()) && list.find((a) => isPrivateAddress(a.address));
          if (bad) {
            const refused = new HangarError(ErrorCode.BAD_REQUEST, `fetch to ${hostname} refused: it resolves to the private address ${bad.address}. Add the host to the app's allow-list to permit it.`, { status: 502, details: { host: hostname } });
            return callback(refused, '', 0);
          }
          (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        });
      },
    },
  });
}

const agents = new Map<string, Agent>();

/** fetch() with the SSRF guard and a timeout. Literal IP hosts are checked before connecting. */
export async function outboundFetch(request: Request, policy: OutboundPolicy): Promise<Response> {
  const url = new URL(request.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HangarError(ErrorCode.BAD_REQUEST, `fetch: only http: and https: URLs can be fetched, not ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allow = policy.allowHosts ?? [];
  if (isPrivateAddress(host) && !allow.includes(host)) {
    throw new HangarError(ErrorCode.BAD_REQUEST, `fetch to ${host} refused: private and loopback addresses are blocked. Add the host to the app's allow-list to permit it.`, { status: 502, details: { host } });
  }
  const key = [...allow].sort().join(',');
  let agent = agents.get(key);
  if (!agent) agents.set(key, (agent = guardedAgent(new Set(allow.map((h) => h.toLowerCase())))));
  const headers = new Headers(request.headers);
  if (policy.depth !== undefined) headers.set(DEPTH_HEADER, String(policy.depth));
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  try {
    const response = await undiciFetch(url, {
      method: request.method,
      headers: headers as unknown as Record<string, string>,
      body: request.body as never,
      duplex: 'half',
      redirect: 'manual',
      dispatcher: agent,
      signal: policy.signal ? AbortSignal.any([policy.signal, timeout]) : timeout,
    } as never);
    return response as unknown as Response;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof HangarError) throw cause;
    if ((error as Error).name === 'TimeoutError') {
      throw new HangarError(ErrorCode.LIMIT_WALL_TIME, `fetch to ${url.host} timed out after ${policy.timeoutMs} ms`, { status: 504 });
    }
    throw new HangarError(ErrorCode.BAD_REQUEST, `fetch to ${url.host} failed: ${(cause as Error)?.message ?? (error as Error).message}`, { status: 502, cause: error });
  }
}
