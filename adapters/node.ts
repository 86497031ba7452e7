// node:http ⇄ WHATWG: IncomingMessage → Request, Response → ServerResponse, both streaming; and a bare node:http server.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { responseParts, type ResponseParts } from '../core/complete-body.js';
import { ErrorCode, HangarError } from '../core/errors.js';
import { builtRequest, lazyRequest, lazyRequestsWork, type RequestSource, type UrlParts } from '../core/lazy-request.js';
import type { EdgeRuntime } from '../core/runtime.js';
import { runtimeSource, type AdapterOptions } from './runtime-source.js';

export type { AdapterOptions } from './runtime-source.js';

/** Headers about one hop's connection: Node owns them on both sides, so they never cross into a Request or out of a Response. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Characters that would move a Host header's content into the userinfo, path, query or fragment of the URL. */
const NOT_IN_HOST = /[/?#@\\\s]/;

export interface ToRequestOptions {
  /** `http` or `https`; by default, whether the socket is TLS. Express passes `req.protocol` so `trust proxy` applies. */
  protocol?: string;
}

function badRequest(message: string): HangarError {
  return new HangarError(ErrorCode.BAD_REQUEST, message);
}

/** Hosts that serialize as themselves in a URL: lowercase DNS labels, the last not numeric (that would parse as IPv4), no punycode. */
const PLAIN_HOST = /^(?:[a-z0-9-]+\.)*[a-z-][a-z0-9-]*(?::([1-9][0-9]{0,4}))?$/;
/** Targets that serialize as themselves: no character the URL parser would encode, no dot segment, no fragment. */
const PLAIN_TARGET = /^\/[\w\-.~!$&()*+,;=:@/%]*(?:\?[\w\-.~!$&()*+,;=:@/%?]*)?$/;
const DOT_SEGMENT = /\/(?:\.|%2e)/i;
const DEFAULT_PORT: Record<string, string | undefined> = { http: '80', https: '443' };

/**
 * The URL of a request whose host and target need no parsing to be serialized, taken apart; `undefined` sends the
 * request through the URL parser, which decides every other case.
 */
function plainUrl(protocol: string, host: string, target: string): UrlParts | undefined {
  const match = PLAIN_HOST.exec(host);
  const port = match?.[1];
  const defaultPort = DEFAULT_PORT[protocol];
  if (!match || !defaultPort || port === defaultPort || Number(port) > 65_535) return undefined;
  if (host.includes('xn--') || !PLAIN_TARGET.test(target)) return undefined;
  const query = target.indexOf('?');
  const pathname = query < 0 ? target : target.slice(0, query);
  if (DOT_SEGMENT.test(pathname)) return undefined;
  const search = query < 0 || query === target.length - 1 ? '' : target.slice(query);
  return { href: `${protocol}://${host}${target}`, hostname: port === undefined ? host : host.slice(0, -port.length - 1), pathname, search };
}

/** The address the client connected to, as a URL host. */
function localHost(req: IncomingMessage): string | undefined {
  const local = req.socket.localAddress;
  return local?.includes(':') ? `[${local}]` : local;
}

/** The request's absolute URL from the Host header and the request target, refusing anything that is not a plain host. */
function requestUrl(req: IncomingMessage, protocol: string): UrlParts {
  // HTTP/1.0 may omit Host (Node refuses HTTP/1.1 without one): the address the client connected to stands in.
  // Read only then: localAddress asks the kernel (getsockname) on every read.
  const host = req.headers.host ?? localHost(req);
  // Express rewrites req.url under a mount path; the tenant sees the URL the client sent.
  const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const plain = host ? plainUrl(protocol, host, target) : undefined;
  if (plain) return plain;
  if (!host || NOT_IN_HOST.test(host)) throw badRequest(`the Host header ${JSON.stringify(host ?? '')} is not a valid host[:port]`);
  if (!target.startsWith('/')) throw badRequest(`the request target ${JSON.stringify(target.slice(0, 100))} must be a path starting with /`);
  try {
    // Concatenated, never resolved against a base, so a target like //evil.com/ stays a path.
    const { href, hostname, pathname, search } = new URL(`${protocol}://${host}${target}`);
    return { href, hostname, pathname, search };
  } catch {
    throw badRequest(`the Host header ${JSON.stringify(host)} is not a valid host[:port]`);
  }
}

/**
 * The request body as a web stream that reads nothing until the app reads it (highWaterMark 0): a request that falls
 * through to `next()` leaves its body for the host's own parsers. Cancelling stops reading without destroying the
 * socket, which still carries the response.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= req.iterator({ destroyOnReturn: false });
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** True when the request carries a body, by its framing headers (RFC 9112 §6.3). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The header list of a request: lowercase names, hop-by-hop headers and HTTP/2 pseudo-headers left out. */
function headerList(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.charCodeAt(0) !== 58 /* ':' */ && !HOP_BY_HOP.has(name)) pairs.push([name, raw[i + 1]!]);
  }
  return pairs;
}

/**
 * A signal that aborts when the client goes away before `res` finished. Made when first read, which may be after the
 * connection closed: then it starts aborted.
 */
function clientSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new HangarError(ErrorCode.BAD_REQUEST, 'the client closed the connection', { status: 499 }));
  };
  if (res.closed) onClose();
  else res.once('close', onClose);
  return controller.signal;
}

/** What a lazy request reads from node:http; methods rather than closures, so a request allocates one object for them. */
class IncomingSource implements RequestSource {
  readonly method: string;
  readonly url: UrlParts;
  readonly hasBody: boolean;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    protocol: string,
  ) {
    this.method = req.method ?? 'GET';
    this.url = requestUrl(req, protocol);
    this.hasBody = this.method !== 'GET' && this.method !== 'HEAD' && hasBody(req);
  }

  headers(): [string, string][] {
    return headerList(this.req);
  }

  body(): ReadableStream<Uint8Array> {
    return bodyStream(this.req);
  }

  signal(): AbortSignal {
    return clientSignal(this.res);
  }
}

/** Methods undici refuses in a Request: built eagerly, so they fail where they always did. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Converts an IncomingMessage into a WHATWG Request whose body streams from the socket (never buffered here)
 * and whose signal aborts when the client goes away before `res` finished. Throws a 400 HangarError on a bad Host.
 * The Request is lazy (core/lazy-request.ts): its undici objects are built when something reads them.
 */
export function toRequest(req: IncomingMessage, res: ServerResponse, options: ToRequestOptions = {}): Request {
  const source = new IncomingSource(req, res, options.protocol ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http'));
  const request = lazyRequest(source);
  return lazyRequestsWork && !FORBIDDEN_METHODS.has(source.method) ? request : builtRequest(request);
}

/** Resolves (with nothing) after the current event-loop turn. */
function nextTurn(): Promise<undefined> {
  return new Promise((resolve) => setImmediate(resolve, undefined));
}

/** Resolves once `res` can take more data, or has closed (then the caller stops writing). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a complete response in one writeHead and one end. The head is an object (repeated names as arrays, so each
 * Set-Cookie gets its own line) because middleware wrapping writeHead (on-headers) reads objects; the Content-Length
 * is the one `res.end(bytes)` would have set, which a written head no longer gets from Node.
 */
function writeParts({ status, statusText, headers, bytes }: ResponseParts, res: ServerResponse): void {
  const head: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of headers) {
    if (HOP_BY_HOP.has(name)) continue;
    const previous = head[name];
    head[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  const bodyless = res.req.method === 'HEAD';
  if (!bodyless) head['content-length'] ??= String(bytes.byteLength);
  if (statusText) res.writeHead(status, statusText, head);
  else res.writeHead(status, head);
  res.end(bodyless ? undefined : bytes);
}

/**
 * Writes a WHATWG Response to a ServerResponse: status, every header (each Set-Cookie on its own line), then the body
 * chunk by chunk, waiting for `drain` so a slow client slows the producer. A client abort cancels the body; a body
 * that fails mid-way destroys the connection, so the client sees a truncated response rather than a complete-looking one.
 * A complete response (a `bytesResponse`) is written at once, and nothing is returned to wait for.
 */
export function writeResponse(response: Response, res: ServerResponse): Promise<void> | undefined {
  const parts = responseParts(response);
  if (parts) {
    writeParts(parts, res);
    return undefined;
  }
  return streamResponse(response, res);
}

async function streamResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie' && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader('set-cookie', cookies);

  const body = response.body;
  if (!body || res.req.method === 'HEAD') {
    await body?.cancel();
    res.end();
    return;
  }
  const reader = body.getReader();
  try {
    const first = await reader.read();
    if (first.done) return void res.end();
    // A body complete in one chunk (any buffered Response) goes out in one write with a Content-Length, as
    // res.send() would; a live stream waits one event-loop turn at most before its first chunk is written.
    const second = reader.read();
    if ((await Promise.race([second, nextTurn()]))?.done) return void res.end(first.value);
    if (!res.write(first.value)) await drained(res);
    for (let chunk = await second; !chunk.done; chunk = await reader.read()) {
      if (res.destroyed) return void (await reader.cancel(new Error('the client closed the connection')));
      if (!res.write(chunk.value)) await drained(res);
    }
    res.end();
  } catch (error) {
    res.destroy(error as Error);
  } finally {
    reader.releaseLock();
  }
}

/** The error answer of the bare server when no Response can be made (a malformed request, or the runtime failed). */
function writeError(res: ServerResponse, error: unknown): void {
  const failure = error instanceof HangarError ? error : new HangarError(ErrorCode.INTERNAL, String((error as Error)?.message ?? error));
  if (res.headersSent) {
    res.destroy(failure);
    return;
  }
  res.writeHead(failure.status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${failure.status} ${failure.code}: ${failure.message}\n`);
}

/** A node:http request listener answering every request through the runtime (404 for hostnames no app owns). */
export function edgeHandler(runtime: EdgeRuntime | Promise<EdgeRuntime>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    (async () => {
      const request = toRequest(req, res);
      await writeResponse(await (await runtime).fetch(request), res);
    })().catch((error: unknown) => writeError(res, error));
  };
}

export interface HangarServer {
  server: Server;
  runtime: EdgeRuntime;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections, lets in-flight requests finish for up to `graceMs`, then closes the runtime it created. */
  close(graceMs?: number): Promise<void>;
}

/** A bare node:http server serving tenant apps; the runtime is created (and its apps built) before it resolves. */
export async function createServer(options: AdapterOptions = {}): Promise<HangarServer> {
  const source = runtimeSource(options);
  const runtime = await source.runtime;
  const server = createHttpServer(edgeHandler(runtime));
  return {
    server,
    runtime,
    listen: (port = 0, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: async (graceMs = 5_000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await source.close();
    },
  };
}
