// node:http ⇄ WHATWG: IncomingMessage → Request, Response → ServerResponse, both streaming; and a bare node:http server.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { completeBody } from '../core/complete-body.js';
import { ErrorCode, HangarError } from '../core/errors.js';
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

/** The request's absolute URL from the Host header and the request target, refusing anything that is not a plain host. */
function requestUrl(req: IncomingMessage, protocol: string): string {
  // HTTP/1.0 may omit Host (Node refuses HTTP/1.1 without one): the address the client connected to stands in.
  const local = req.socket.localAddress;
  const host = req.headers.host ?? (local?.includes(':') ? `[${local}]` : local);
  if (!host || NOT_IN_HOST.test(host)) throw badRequest(`the Host header ${JSON.stringify(host ?? '')} is not a valid host[:port]`);
  // Express rewrites req.url under a mount path; the tenant sees the URL the client sent.
  const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  if (!target.startsWith('/')) throw badRequest(`the request target ${JSON.stringify(target.slice(0, 100))} must be a path starting with /`);
  try {
    // Concatenated, never resolved against a base, so a target like //evil.com/ stays a path.
    return new URL(`${protocol}://${host}${target}`).href;
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

/**
 * Converts an IncomingMessage into a WHATWG Request whose body streams from the socket (never buffered here)
 * and whose signal aborts when the client goes away before `res` finished. Throws a 400 HangarError on a bad Host.
 */
export function toRequest(req: IncomingMessage, res: ServerResponse, options: ToRequestOptions = {}): Request {
  const protocol = options.protocol ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  const url = requestUrl(req, protocol);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) !== 58 /* ':' HTTP/2 pseudo-header */ && !HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, raw[i + 1]!);
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new HangarError(ErrorCode.BAD_REQUEST, 'the client closed the connection', { status: 499 }));
  });
  const method = req.method ?? 'GET';
  const body = method !== 'GET' && method !== 'HEAD' && hasBody(req) ? bodyStream(req) : null;
  return new Request(url, { method, headers, body, signal: controller.signal, ...(body ? { duplex: 'half' } : {}) } as RequestInit);
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
 * Writes a WHATWG Response to a ServerResponse: status, every header (each Set-Cookie on its own line), then the body
 * chunk by chunk, waiting for `drain` so a slow client slows the producer. A client abort cancels the body; a body
 * that fails mid-way destroys the connection, so the client sees a truncated response rather than a complete-looking one.
 */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie' && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader('set-cookie', cookies);

  const bytes = completeBody(response);
  if (bytes) return void res.end(res.req.method === 'HEAD' ? undefined : bytes);
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
