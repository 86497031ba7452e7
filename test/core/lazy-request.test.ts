import test from 'ava';
import { builtRequest, headerPairs, headerValue, lazyRequest, lazyRequestsWork, urlParts, type RequestSource } from '../../core/lazy-request.js';

/** A lazy request over fixed fields, counting how often its undici parts were asked for. */
function lazy(overrides: Partial<RequestSource> = {}, body?: string): { request: Request; built: () => number; controller: AbortController } {
  const controller = new AbortController();
  let built = 0;
  const request = lazyRequest({
    method: body === undefined ? 'GET' : 'POST',
    url: { href: 'http://app.localhost:8080/a/b?x=1', hostname: 'app.localhost', pathname: '/a/b', search: '?x=1' },
    headers: () => [['accept', 'text/html'], ['x-twice', '1'], ['x-twice', '2']],
    hasBody: body !== undefined,
    body: () => new Blob([body ?? '']).stream(),
    signal: () => {
      built++;
      return controller.signal;
    },
    ...overrides,
  });
  return { request, built: () => built, controller };
}

test('this Node builds lazy requests', (t) => {
  t.true(lazyRequestsWork);
});

test('method, url, header pairs, header values, URL parts and a null body are read without building anything', (t) => {
  const { request, built } = lazy();
  t.true(request instanceof Request);
  t.is(request.constructor, Request);
  t.is(request.method, 'GET');
  t.is(request.url, 'http://app.localhost:8080/a/b?x=1');
  t.deepEqual(headerPairs(request), [['accept', 'text/html'], ['x-twice', '1'], ['x-twice', '2']]);
  t.is(headerValue(request, 'x-twice'), '1, 2', 'repeats joined as Headers.get joins them');
  t.is(headerValue(request, 'absent'), null);
  t.deepEqual(urlParts(request), { href: 'http://app.localhost:8080/a/b?x=1', hostname: 'app.localhost', pathname: '/a/b', search: '?x=1' });
  t.is(request.body, null);
  t.false(request.bodyUsed);
  t.is(built(), 0);
});

test('every other property is the real Request\'s, which is built once and then is the truth', (t) => {
  const { request, built, controller } = lazy();
  t.is(request.headers.get('x-twice'), '1, 2');
  t.is(request.headers, request.headers, 'one Headers object');
  t.is(request.cache, 'default');
  t.is(request.redirect, 'follow');
  t.is(request.mode, 'cors');
  t.is(Object.prototype.toString.call(request), '[object Request]');
  t.is(built(), 1);
  request.headers.set('accept', 'application/json');
  t.is(headerValue(request, 'accept'), 'application/json', 'a change through the real headers is seen');
  t.deepEqual(headerPairs(request), [['accept', 'application/json'], ['x-twice', '1, 2']]);
  t.false(request.signal.aborted);
  controller.abort(new Error('gone'));
  t.true(request.signal.aborted);
  t.is(built(), 1);
});

test('the body streams from the source and is used once read; clone() tees it', async (t) => {
  const { request } = lazy({}, 'hello body');
  t.true(request.body instanceof ReadableStream);
  const copy = request.clone();
  t.true(copy instanceof Request);
  t.is(await request.text(), 'hello body');
  t.true(request.bodyUsed);
  t.is(await copy.text(), 'hello body');
  await t.throwsAsync(() => request.text(), { instanceOf: TypeError });
});

test('new Request(lazy, init) copies it as it would any Request, init winning; the copy follows its signal', async (t) => {
  const { request, controller } = lazy({}, 'payload');
  const copy = new Request(request, { headers: { 'x-new': 'yes' } });
  t.is(copy.url, request.url);
  t.is(copy.method, 'POST');
  t.is(copy.headers.get('x-new'), 'yes');
  t.is(copy.headers.get('accept'), null, 'init headers replace the input\'s');
  t.is(await copy.text(), 'payload');
  t.true(request.bodyUsed, 'the input\'s body moved to the copy');
  controller.abort();
  t.true(copy.signal.aborted);
  const same = new Request(lazy().request);
  t.is(same.headers.get('accept'), 'text/html');
});

test('builtRequest gives the real Request; URL parts of any Request are parsed once per request', (t) => {
  const { request } = lazy();
  const real = builtRequest(request);
  t.false(real === request);
  t.is(real.constructor, Request);
  t.is(real.url, request.url);
  const plain = new Request('http://Other.Example:80/p%20q?');
  t.deepEqual(urlParts(plain), { href: 'http://other.example/p%20q?', hostname: 'other.example', pathname: '/p%20q', search: '' });
  t.is(urlParts(plain), urlParts(plain));
  t.is(builtRequest(plain), plain);
});

test('a lazy request shows the same members as a Request, and nothing more', (t) => {
  const members = (request: Request) => {
    const names: string[] = [];
    for (const name in request) names.push(name);
    return names.sort();
  };
  const { request } = lazy();
  const real = builtRequest(request);
  t.deepEqual(members(request), members(real));
  t.deepEqual(Object.keys(request), []);
  t.deepEqual(Object.getOwnPropertySymbols(request), []);
  t.is(Object.prototype.toString.call(request), '[object Request]');
});
