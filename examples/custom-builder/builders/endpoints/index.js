// hangar-builder-endpoints: an .endpoints file becomes one edge Lambda that answers its endpoints (Now Runtime API, version 3).
import { createLambda, FileBlob, streamToBuffer } from 'hangar';
import { parseEndpoints } from './parse.js';

/** Version 3: build() answers one Lambda, which Hangar serves at the entrypoint's path without its extension. */
export const version = 3;

/**
 * The script runs in the app's isolate. It uses the service-worker style (addEventListener('fetch', …)), one of the
 * two styles the edge executor runs. `:name` in a path matches one segment and is replaced in the body.
 * @param {ReturnType<typeof parseEndpoints>} endpoints
 * @param {string} base the path the Lambda is mounted at, such as /api
 */
function script(endpoints, base) {
  return `const endpoints = ${JSON.stringify(endpoints)};
const base = ${JSON.stringify(base)};
function match(pattern, path) {
  const names = [];
  const source = pattern.replace(/[.*+?^$()|[\\]\\\\]/g, '\\\\$&').replace(/:([A-Za-z_]\\w*)/g, (_, name) => (names.push(name), '([^/]+)'));
  const found = new RegExp('^' + source + '$').exec(path);
  return found && Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
}
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) || '/' : url.pathname;
  for (const endpoint of endpoints) {
    const params = endpoint.method === event.request.method && match(endpoint.path, path);
    if (!params) continue;
    const body = endpoint.body.replace(/:([A-Za-z_]\\w*)/g, (whole, name) => (name in params ? params[name] : whole));
    return event.respondWith(new Response(body, { status: endpoint.status, headers: endpoint.headers }));
  }
  event.respondWith(new Response('no endpoint for ' + event.request.method + ' ' + path + '\\n', { status: 404 }));
});
`;
}

/** Where the endpoints answer: `config.base`, else the entrypoint's path without its extension (api.endpoints → /api). */
function baseOf(entrypoint, config) {
  return typeof config.base === 'string' ? config.base.replace(/\/+$/, '') : `/${entrypoint.replace(/\.[^/.]+$/, '')}`;
}

/**
 * @param {import('hangar').BuildOptions} options
 * @returns {Promise<import('hangar').BuildResultV3>}
 */
export async function build({ files, entrypoint, config }) {
  const text = (await streamToBuffer(files[entrypoint].toStream())).toString('utf8');
  const endpoints = parseEndpoints(text, entrypoint);
  const base = baseOf(entrypoint, config);
  const lambda = await createLambda({
    files: { 'index.js': new FileBlob({ data: script(endpoints, base) }) },
    handler: 'index.js',
    runtime: 'edge',
    environment: {},
  });
  // Builder routes run as a second pass for the paths this job serves (see shouldServe): all of them reach the Lambda.
  return { output: lambda, routes: [{ src: `${base}(/.*)?`, dest: base }] };
}

/**
 * The paths this job serves: everything under its base. (Without shouldServe, a job serves its outputs and its
 * entrypoint only.) `requestPath` has no leading slash.
 * @param {import('hangar').ShouldServeOptions} options
 */
export function shouldServe({ requestPath, entrypoint, config }) {
  const base = baseOf(entrypoint, config).slice(1);
  return requestPath === base || requestPath.startsWith(`${base}/`);
}
