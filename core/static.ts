// Serves a static output (a FileRef) as a Response, with a strong ETag, a content type and 304s.
import { Readable } from 'node:stream';
import { contentType } from 'mime-types';
import type { File } from './files/types.js';
import { ErrorCode, HangarError } from './errors.js';
import { headerValue } from './lazy-request.js';

export function serveFile(request: Request, path: string, file: File, headers: Record<string, string>, status = 200): Response {
  if (file.type !== 'FileRef') throw new HangarError(ErrorCode.INTERNAL, `output ${path} is a ${file.type}; deployments hold FileRefs`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  const out = new Headers(headers);
  out.set('etag', file.etag);
  out.set('content-type', file.contentType ?? (contentType(path.split('/').pop() ?? '') || 'application/octet-stream'));
  const inm = headerValue(request, 'if-none-match');
  if (inm && inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag || tag.trim() === '*')) {
    return new Response(null, { status: 304, headers: out });
  }
  const body = request.method === 'HEAD' ? null : (Readable.toWeb(file.toStream()) as ReadableStream<Uint8Array>);
  return new Response(body, { status, headers: out });
}
