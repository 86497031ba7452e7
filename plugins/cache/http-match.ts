// Answers a cached response the way the request asks for it: 304 for a validator that matches, 206/416 for a Range.

/** A response as plain data, the form it is stored in and crosses the isolate boundary in. */
export interface ResponseData {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** Headers a 304 carries (RFC 9110 §15.4.5), so the client can refresh what it holds. */
const NOT_MODIFIED_HEADERS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified', 'age']);

function header(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([key]) => key === name)?.[1];
}

const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** If-None-Match (weak comparison), else If-Modified-Since against Last-Modified. */
function notModified(requestHeaders: Headers, cached: ResponseData): boolean {
  const etag = header(cached.headers, 'etag');
  const inm = requestHeaders.get('if-none-match');
  if (inm !== null) return inm.trim() === '*' || (etag !== undefined && inm.split(',').some((tag) => opaque(tag) === opaque(etag)));
  const ims = Date.parse(requestHeaders.get('if-modified-since') ?? '');
  const lastModified = Date.parse(header(cached.headers, 'last-modified') ?? '');
  return !Number.isNaN(ims) && !Number.isNaN(lastModified) && lastModified <= ims;
}

/** One `bytes=` range as [first, last] within `size`; null when unsatisfiable; undefined when not one we serve. */
function parseRange(value: string, size: number): [number, number] | null | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? null : [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return first >= size || last < first ? null : [first, last];
}

/** If-Range: the range applies only while the client's validator still names this response (strong ETag or date). */
function rangeStillValid(requestHeaders: Headers, cached: ResponseData): boolean {
  const ifRange = requestHeaders.get('if-range');
  if (ifRange === null) return true;
  const etag = header(cached.headers, 'etag');
  if (ifRange.trim().startsWith('"') || ifRange.trim().startsWith('W/')) return etag !== undefined && !etag.startsWith('W/') && ifRange.trim() === etag;
  return header(cached.headers, 'last-modified') === ifRange.trim();
}

/** The response to give for `requestHeaders`, from a fresh cached response. */
export function answer(requestHeaders: Headers, cached: ResponseData): ResponseData {
  if (cached.status === 200 && notModified(requestHeaders, cached)) {
    return { status: 304, statusText: 'Not Modified', headers: cached.headers.filter(([name]) => NOT_MODIFIED_HEADERS.has(name)), body: new Uint8Array(0) };
  }
  const range = requestHeaders.get('range');
  if (cached.status !== 200 || range === null || !rangeStillValid(requestHeaders, cached)) return cached;
  const size = cached.body.byteLength;
  const bounds = parseRange(range, size);
  if (bounds === undefined) return cached;
  const rest = cached.headers.filter(([name]) => name !== 'content-length' && name !== 'content-range');
  if (bounds === null) {
    return { status: 416, statusText: 'Range Not Satisfiable', headers: [...rest, ['content-range', `bytes */${size}`]], body: new Uint8Array(0) };
  }
  const [first, last] = bounds;
  return {
    status: 206,
    statusText: 'Partial Content',
    headers: [...rest, ['content-range', `bytes ${first}-${last}/${size}`], ['content-length', String(last - first + 1)]],
    body: cached.body.subarray(first, last + 1),
  };
}
