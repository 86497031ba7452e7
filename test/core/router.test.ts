import test from 'ava';
import Keyv from 'keyv';
import { createDeployment, type BuilderRoutes, type Deployment } from '../../core/deployment.js';
import { BlobStore } from '../../core/files/blob-store.js';
import { FileBlob } from '../../core/files/file-blob.js';
import { FileRef } from '../../core/files/file-ref.js';
import { createLambda } from '../../core/files/lambda.js';
import type { Route } from '../../core/layer.js';
import { route, routeProblem, type RouteResult } from '../../core/router.js';

/** Outputs every vector routes over: static pages, a folder index, a 404 page, and two Lambdas. */
async function deployment(routes: Route[], builderRoutes: BuilderRoutes[] = []): Promise<Deployment> {
  const blobs = new BlobStore(new Keyv());
  const file = async (text: string) => new FileRef({ digest: await blobs.put(Buffer.from(text)), blobs });
  const lambda = (name: string) => createLambda({ files: { 'index.js': new FileBlob({ data: name }) }, handler: 'index.js', runtime: 'edge' });
  return createDeployment({
    app: 'vectors',
    hostnames: ['vectors.localhost'],
    output: {
      'index.html': await file('home'),
      'about.html': await file('about'),
      'docs/index.html': await file('docs'),
      'docs/intro.html': await file('intro'),
      '404.html': await file('not found'),
      'blog/post-7.html': await file('post seven'),
      index: await lambda('index'),
      'api/user': await lambda('user'),
    },
    routes,
    builderRoutes,
    env: {},
  });
}

interface Vector {
  name: string;
  routes: Route[];
  builderRoutes?: BuilderRoutes[];
  method?: string;
  path: string;
  search?: string;
  expect: Partial<{ kind: RouteResult['kind']; path: string; status: number; url: string; search: string; headers: Record<string, string> }>;
}

const zeroConfig: Route[] = [{ handle: 'filesystem' }, { src: '/.*', dest: '/index' }];

const vectors: Vector[] = [
  { name: 'no routes: an exact output path', routes: [], path: '/about.html', expect: { kind: 'output', path: 'about.html' } },
  { name: 'no routes: a folder serves its index.html', routes: [], path: '/docs/', expect: { kind: 'output', path: 'docs/index.html' } },
  { name: 'no routes: a clean URL finds the .html file', routes: [], path: '/about', expect: { kind: 'output', path: 'about.html' } },
  { name: 'no routes: the root serves index.html', routes: [], path: '/', expect: { kind: 'output', path: 'index.html' } },
  { name: 'no routes: an unknown path misses', routes: [], path: '/nope', expect: { kind: 'miss' } },
  { name: 'src is anchored at both ends', routes: [{ src: '/a', dest: '/about.html' }], path: '/about', expect: { kind: 'output', path: 'about.html' } },
  { name: 'src is anchored: a prefix does not match', routes: [{ src: '/abo', dest: '/index.html' }], path: '/about', expect: { kind: 'output', path: 'about.html' } },
  { name: 'src is case-insensitive', routes: [{ src: '/ABOUT', dest: '/docs/intro.html' }], path: '/about', expect: { kind: 'output', path: 'docs/intro.html' } },
  { name: 'an alternation stays inside the anchors', routes: [{ src: '/x|/about', dest: '/docs/intro.html' }], path: '/about/more', expect: { kind: 'miss' } },
  { name: 'src without a leading slash still matches', routes: [{ src: 'about', dest: '/docs/intro.html' }], path: '/about', expect: { kind: 'output', path: 'docs/intro.html' } },
  { name: '$1 in dest', routes: [{ src: '/guide/(.*)', dest: '/docs/$1.html' }], path: '/guide/intro', expect: { kind: 'output', path: 'docs/intro.html' } },
  { name: 'named groups in dest', routes: [{ src: '/p/(?<id>\\d+)', dest: '/blog/post-$id.html' }], path: '/p/7', expect: { kind: 'output', path: 'blog/post-7.html' } },
  { name: 'dest query joins the request query, dest winning', routes: [{ src: '/u/(?<name>[^/]+)', dest: '/api/user?name=$name&v=2' }], path: '/u/ann', search: '?v=1&x=y', expect: { kind: 'output', path: 'api/user', search: '?v=2&x=y&name=ann' } },
  { name: 'headers are added, with substitution', routes: [{ src: '/docs/(.*)', headers: { 'Cache-Control': 'max-age=60', 'x-page': '$1' }, continue: true }], path: '/docs/intro', expect: { kind: 'output', path: 'docs/intro.html', headers: { 'cache-control': 'max-age=60', 'x-page': 'intro' } } },
  { name: 'methods: a rule for POST skips GET', routes: [{ src: '/about', methods: ['POST'], dest: '/api/user' }], path: '/about', expect: { kind: 'output', path: 'about.html' } },
  { name: 'methods: a rule for POST applies to POST', routes: [{ src: '/about', methods: ['post'], dest: '/api/user' }], method: 'POST', path: '/about', expect: { kind: 'output', path: 'api/user' } },
  { name: 'status with Location is a redirect', routes: [{ src: '/old/(.*)', status: 308, headers: { Location: '/new/$1' } }], path: '/old/page', expect: { kind: 'status', status: 308, headers: { location: '/new/page' } } },
  { name: 'status with dest serves dest with that status', routes: [{ src: '/gone', dest: '/404.html', status: 410 }], path: '/gone', expect: { kind: 'output', path: '404.html', status: 410 } },
  { name: 'continue keeps matching with the rewritten path', routes: [{ src: '/v1/(.*)', dest: '/$1', continue: true }, { src: '/about', dest: '/docs/intro.html' }], path: '/v1/about', expect: { kind: 'output', path: 'docs/intro.html' } },
  { name: 'a rule without continue stops matching', routes: [{ src: '/about', dest: '/docs/index.html' }, { src: '/docs/.*', dest: '/404.html' }], path: '/about', expect: { kind: 'output', path: 'docs/index.html' } },
  { name: 'a stopping rule whose dest is missing is a miss', routes: [{ src: '/about', dest: '/missing' }, { src: '/.*', dest: '/index.html' }], path: '/about', expect: { kind: 'miss' } },
  { name: 'check: a missing dest lets later rules match', routes: [{ src: '/(.*)', dest: '/$1.html', check: true }, { src: '/.*', dest: '/index' }], path: '/zzz', expect: { kind: 'output', path: 'index' } },
  { name: 'check: an existing dest is served', routes: [{ src: '/(.*)', dest: '/docs/$1.html', check: true }, { src: '/.*', dest: '/index' }], path: '/intro', expect: { kind: 'output', path: 'docs/intro.html' } },
  { name: 'filesystem: an existing file wins over later rules', routes: zeroConfig, path: '/about.html', expect: { kind: 'output', path: 'about.html' } },
  { name: 'filesystem: Lambdas are part of the filesystem', routes: zeroConfig, path: '/api/user', expect: { kind: 'output', path: 'api/user' } },
  { name: 'filesystem: a miss falls to the rules after it', routes: zeroConfig, path: '/cart/1', expect: { kind: 'output', path: 'index' } },
  { name: 'rules before filesystem run first', routes: [{ src: '/about.html', dest: '/docs/intro.html' }, ...zeroConfig], path: '/about.html', expect: { kind: 'output', path: 'docs/intro.html' } },
  { name: 'a dest URL proxies, keeping the query', routes: [{ src: '/ext/(.*)', dest: 'https://example.com/base/$1' }], path: '/ext/a/b', search: '?q=1', expect: { kind: 'proxy', url: 'https://example.com/base/a/b?q=1' } },
  { name: 'a proxy carries the headers of matched rules', routes: [{ src: '/.*', headers: { 'x-a': '1' }, continue: true }, { src: '/ext', dest: 'http://example.com/' }], path: '/ext', expect: { kind: 'proxy', url: 'http://example.com/', headers: { 'x-a': '1' } } },
  { name: 'hit: headers for files the filesystem found', routes: [{ handle: 'filesystem' }, { handle: 'hit' }, { src: '/docs/.*', headers: { 'x-hit': 'yes' } }], path: '/docs/intro.html', expect: { kind: 'output', path: 'docs/intro.html', headers: { 'x-hit': 'yes' } } },
  { name: 'error: a miss is answered by the error phase with 404', routes: [{ handle: 'filesystem' }, { handle: 'error' }, { src: '/.*', dest: '/404.html' }], path: '/nowhere', expect: { kind: 'output', path: '404.html', status: 404 } },
  {
    name: 'builder routes: a second pass for a path the builder serves',
    routes: [{ src: '/posts/(.*)', dest: '/blog/$1' }],
    builderRoutes: [{ use: 'blog', entrypoint: 'blog.cfg', paths: ['blog/post-7.html'], routes: [{ src: '/blog/(\\d+)', dest: '/blog/post-$1.html', headers: { 'x-b': '1' } }], shouldServe: (path) => path.startsWith('blog/') }],
    path: '/posts/7',
    expect: { kind: 'output', path: 'blog/post-7.html', headers: { 'x-b': '1' } },
  },
  {
    name: 'builder routes: skipped for paths the builder does not serve',
    routes: [],
    builderRoutes: [{ use: 'blog', entrypoint: 'blog.cfg', paths: ['blog/post-7.html'], routes: [{ src: '/.*', dest: '/404.html' }] }],
    path: '/about',
    expect: { kind: 'output', path: 'about.html' },
  },
];

for (const vector of vectors) {
  test(`routing: ${vector.name}`, async (t) => {
    const result = await route(await deployment(vector.routes, vector.builderRoutes), vector.method ?? 'GET', vector.path, vector.search);
    const { headers, ...rest } = vector.expect;
    t.like(result, rest);
    if (headers) t.like(result.headers, headers);
    if (vector.expect.kind === 'output' && !('search' in vector.expect)) t.is((result as { search?: string }).search, undefined);
  });
}

test('routeProblem explains what is wrong with a route', (t) => {
  t.is(routeProblem({ src: '/a', dest: '/b', headers: { x: 'y' }, methods: ['GET'], status: 200, continue: true, check: false }), undefined);
  t.is(routeProblem({ handle: 'filesystem' }), undefined);
  t.regex(routeProblem({ handle: 'nope' }) ?? '', /"handle" must be one of/);
  t.regex(routeProblem({ src: '[' }) ?? '', /not a valid regular expression/);
  t.regex(routeProblem({ src: '/a', has: [] }) ?? '', /unknown field "has"/);
  t.regex(routeProblem({ src: '/a', status: 999 }) ?? '', /HTTP status/);
  t.regex(routeProblem('x') ?? '', /must be an object/);
});

test('a deployment answers the same request with the same frozen result; another query or method is routed anew', async (t) => {
  const routed = await deployment([{ src: '/api/(.*)', dest: '/api/user?id=$1', headers: { 'x-route': '1' } }]);
  const first = await route(routed, 'GET', '/api/7', '?a=1');
  t.is(await route(routed, 'GET', '/api/7', '?a=1'), first);
  t.true(Object.isFrozen(first) && Object.isFrozen(first.headers), 'shared results cannot be changed by one request for the next');
  t.like(first, { kind: 'output', path: 'api/user', search: '?a=1&id=7' });
  t.like(await route(routed, 'GET', '/api/7', '?a=2'), { search: '?a=2&id=7' });
  t.not(await route(routed, 'POST', '/api/7', '?a=1'), first);
});
