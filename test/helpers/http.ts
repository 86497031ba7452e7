// Test helper: HTTP requests over loopback with any Host header (fetch refuses to set Host), read in full.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

/** Sends one request on a fresh connection (no keep-alive pool outlives the test) and reads the whole reply. */
export function send(origin: string, options: SendOptions = {}): Promise<Reply> {
  const { host, path = '/', method = 'GET', headers = {}, body } = options;
  return new Promise((resolve, reject) => {
    const req = httpRequest(origin, { path, method, agent: false, setHost: host === undefined, headers: host === undefined ? headers : { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** The origin of a server listening on loopback. */
export function originOf(address: { port: number }): string {
  return `http://127.0.0.1:${address.port}`;
}
