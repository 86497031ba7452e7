// FormData as a body and back: the HTML multipart/form-data encoding, and the Fetch standard's parsers for formData().
import { blobBytes, concat, File } from './blob.js';
import { TextDecoder, TextEncoder } from './encoding.js';
import { FormData } from './form-data.js';
import { URLSearchParams } from './url.js';

const encoder = new TextEncoder();
const CRLF = encoder.encode('\r\n');
const HEADER_END = encoder.encode('\r\n\r\n');

const normalizeNewlines = (text: string) => text.replace(/\r\n|\r|\n/g, '\r\n');
const escapeQuoted = (text: string) => text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
const unescapeQuoted = (text: string) => text.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"');

function randomBoundary(): string {
  let suffix = '';
  while (suffix.length < 24) suffix += Math.random().toString(16).slice(2);
  return `----HangarFormBoundary${suffix.slice(0, 24)}`;
}

/** A form as a multipart/form-data body, with the content type that names its boundary. */
export function encodeMultipart(form: FormData): { bytes: Uint8Array; contentType: string } {
  const boundary = randomBoundary();
  const parts: Uint8Array[] = [];
  for (const [name, value] of form) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(normalizeNewlines(name))}"`;
    if (typeof value === 'string') {
      parts.push(encoder.encode(`${head}\r\n\r\n${normalizeNewlines(value)}\r\n`));
    } else {
      head += `; filename="${escapeQuoted(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
      parts.push(encoder.encode(head), blobBytes(value), CRLF);
    }
  }
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  return { bytes: concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.byteLength - needle.byteLength;
  for (let i = haystack.indexOf(first!, from); i !== -1 && i <= last; i = haystack.indexOf(first!, i + 1)) {
    let j = 1;
    while (j < needle.byteLength && haystack[i + j] === needle[j]) j++;
    if (j === needle.byteLength) return i;
  }
  return -1;
}

function malformed(why: string): TypeError {
  return new TypeError(`formData: the multipart/form-data body is malformed (${why})`);
}

interface PartHead {
  name: string;
  filename: string | null;
  contentType: string | null;
}

function parseHead(text: string): PartHead {
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a part header has no name');
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === 'content-disposition') disposition = value;
    else if (field === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) throw malformed('a part is not form-data');
  const params = new Map<string, string>();
  for (const match of disposition.matchAll(/;\s*([^=;\s]+)\s*=\s*(?:"([^"]*)"|([^;]*))/g)) {
    params.set(match[1]!.toLowerCase(), unescapeQuoted(match[2] ?? match[3]!.trim()));
  }
  const name = params.get('name');
  if (name === undefined) throw malformed('a part has no name');
  return { name, filename: params.get('filename') ?? null, contentType };
}

/** The Fetch standard's multipart/form-data parser, over a whole body. */
export function parseMultipart(bytes: Uint8Array, boundary: string): FormData {
  const decoder = new TextDecoder();
  const delimiter = encoder.encode(`--${boundary}`);
  const form = new FormData();
  let position = indexOf(bytes, delimiter, 0);
  if (position < 0) throw malformed('the boundary never appears');
  // Each part is "\r\n--boundary" away from the next; the first delimiter has no CRLF before it.
  const next = encoder.encode(`\r\n--${boundary}`);
  for (;;) {
    position += delimiter.byteLength;
    if (bytes[position] === 0x2d && bytes[position + 1] === 0x2d) return form;
    if (bytes[position] !== 0x0d || bytes[position + 1] !== 0x0a) throw malformed('a delimiter is not followed by CRLF');
    position += 2;
    const headEnd = indexOf(bytes, HEADER_END, position);
    if (headEnd < 0) throw malformed('a part’s headers never end');
    const head = parseHead(decoder.decode(bytes.subarray(position, headEnd)));
    const bodyStart = headEnd + HEADER_END.byteLength;
    const bodyEnd = indexOf(bytes, next, bodyStart);
    if (bodyEnd < 0) throw malformed('the closing boundary is missing');
    const body = bytes.subarray(bodyStart, bodyEnd);
    if (head.filename === null) {
      form.append(head.name, decoder.decode(body));
    } else {
      const type = head.contentType ?? 'text/plain';
      form.append(head.name, new File([body], head.filename, { type: /^[\x20-\x7e]*$/.test(type) ? type : '' }));
    }
    position = bodyEnd + 2;
  }
}

/** The FormData a body of this content type holds; other content types are a TypeError, as the standard says. */
export function parseFormBody(bytes: Uint8Array, contentType: string | null): FormData {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (essence === 'multipart/form-data') {
    const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType!);
    if (!boundary) throw new TypeError('formData: the multipart/form-data content type names no boundary');
    return parseMultipart(bytes, boundary[1] ?? boundary[2]!);
  }
  if (essence === 'application/x-www-form-urlencoded') {
    const form = new FormData();
    for (const [name, value] of new URLSearchParams(new TextDecoder().decode(bytes))) form.append(name, value);
    return form;
  }
  throw new TypeError(`formData: the content type ${JSON.stringify(contentType ?? '')} is not multipart/form-data or application/x-www-form-urlencoded`);
}
