// The standard Cache API (caches.default, caches.open), run against every store by one shared set of cases.
import test, { type ExecutionContext } from 'ava';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import type { Limits } from '../../../core/options.js';
import type { HttpCaches } from '../../../plugins/cache/http-cache.js';
import { cacheRuntime, sleep, STORES } from './helpers.js';

function shared(title: string, body: (t: ExecutionContext, caches: (app: string) => HttpCaches) => Promise<void>, limits?: Partial<Limits>): void {
  for (const store of STORES) {
    test(`${title} (${store.name})`, async (t) => {
      const { plugin } = cacheRuntime(t, await store.url(t), { limits });
      await body(t, (app) => plugin.caches(app));
    });
  }
}

const URL_A = 'https://shop.example/products?id=1';
const fresh = (body: BodyInit | null, headers: Record<string, string> = {}, status = 200) =>
  new Response(body, { status, headers: { 'cache-control': 'public, max-age=60', ...headers } });

shared('put then match answers the stored response, with its Age, until it is stale', async (t, caches) => {
  const cache = caches('shop').default;
  t.is(await cache.match(URL_A), undefined);
  await cache.put(URL_A, fresh('hello', { 'content-type': 'text/plain', 'x-custom': 'yes' }, 200));
  await cache.put(new Request('https://shop.example/short'), new Response('brief', { headers: { 'cache-control': 'max-age=1' } }));
  const hit = await cache.match(new Request(URL_A));
  t.is(hit?.status, 200);
  t.is(await hit?.text(), 'hello');
  t.is(hit?.headers.get('content-type'), 'text/plain');
  t.is(hit?.headers.get('x-custom'), 'yes');
  t.regex(hit?.headers.get('age') ?? '', /^\d+$/);
  t.is(await (await cache.match(`${URL_A}#fragment`))?.text(), 'hello', 'the fragment is not part of the key');
  t.is(await cache.match('https://shop.example/products?id=2'), undefined);
  t.is(await (await cache.match('https://shop.example/short'))?.text(), 'brief');
  await sleep(1_100);
  t.is(await cache.match('https://shop.example/short'), undefined, 'stale responses are not matched');
});

shared('freshness comes from Cache-Control and Expires; what has none, or forbids storing, is not stored', async (t, caches) => {
  const cache = caches('shop').default;
  const stored = async (path: string, response: Response) => {
    await cache.put(`https://shop.example/${path}`, response);
    return (await cache.match(`https://shop.example/${path}`)) !== undefined;
  };
  t.true(await stored('max-age', new Response('x', { headers: { 'cache-control': 'max-age=60' } })));
  t.true(await stored('s-maxage', new Response('x', { headers: { 'cache-control': 's-maxage=60' } })));
  t.true(await stored('expires', new Response('x', { headers: { expires: new Date(Date.now() + 60_000).toUTCString() } })));
  t.false(await stored('expired', new Response('x', { headers: { expires: new Date(Date.now() - 60_000).toUTCString() } })));
  t.false(await stored('no-store', new Response('x', { headers: { 'cache-control': 'no-store, max-age=60' } })));
  t.false(await stored('private', new Response('x', { headers: { 'cache-control': 'private, max-age=60' } })));
  t.false(await stored('no-cache', new Response('x', { headers: { 'cache-control': 'no-cache' } })));
  t.false(await stored('nothing', new Response('x')));
  t.false(await stored('cookie', fresh('x', { 'set-cookie': 'session=1' })), 'a response that sets a cookie is not stored');
  t.true(await stored('not-found', fresh('gone', {}, 404)), 'other cacheable statuses are stored');
});

shared('the spec’s put errors: non-GET requests, 206 responses and Vary: *', async (t, caches) => {
  const cache = caches('shop').default;
  const refused = async (call: Promise<unknown>) => t.is((await t.throwsAsync(call, { instanceOf: HangarError }))?.code, ErrorCode.BAD_REQUEST);
  await refused(cache.put(new Request(URL_A, { method: 'POST', body: 'x' }), fresh('x')));
  await refused(cache.put(URL_A, fresh('x', { 'content-range': 'bytes 0-0/2' }, 206)));
  await refused(cache.put(URL_A, fresh('x', { vary: '*' })));
  await refused(cache.put('ftp://shop.example/file', fresh('x')));
  const used = fresh('x');
  await used.text();
  await refused(cache.put(URL_A, used));
  t.is(await cache.match(URL_A), undefined);
});

shared('match and delete only see GET requests unless ignoreMethod', async (t, caches) => {
  const cache = caches('shop').default;
  await cache.put(URL_A, fresh('hello'));
  const post = new Request(URL_A, { method: 'POST', body: 'x' });
  t.is(await cache.match(post), undefined);
  t.is(await (await cache.match(post, { ignoreMethod: true }))?.text(), 'hello');
  t.false(await cache.delete(post));
  t.true(await cache.delete(URL_A));
  t.is(await cache.match(URL_A), undefined);
  t.false(await cache.delete(URL_A));
});

shared('Vary is honoured: each variant is matched by the request headers it names', async (t, caches) => {
  const cache = caches('shop').default;
  const req = (lang?: string) => new Request(URL_A, { headers: lang ? { 'accept-language': lang } : {} });
  await cache.put(req('en'), fresh('hello', { vary: 'Accept-Language' }));
  await cache.put(req('fr'), fresh('bonjour', { vary: 'Accept-Language' }));
  await cache.put(req('en'), fresh('hello again', { vary: 'Accept-Language' }));
  t.is(await (await cache.match(req('en')))?.text(), 'hello again', 'a new response replaces its own variant');
  t.is(await (await cache.match(req('fr')))?.text(), 'bonjour');
  t.is(await cache.match(req('de')), undefined);
  t.is(await cache.match(req()), undefined);
  t.truthy(await cache.match(req('de'), { ignoreVary: true }));
});

shared('match answers If-None-Match and If-Modified-Since with 304', async (t, caches) => {
  const cache = caches('shop').default;
  const lastModified = new Date(Date.now() - 3_600_000).toUTCString();
  await cache.put(URL_A, fresh('body', { etag: '"v1"', 'last-modified': lastModified, 'content-type': 'text/plain' }));
  const conditional = (headers: Record<string, string>) => cache.match(new Request(URL_A, { headers }));
  const notModified = await conditional({ 'if-none-match': 'W/"v0", "v1"' });
  t.is(notModified?.status, 304);
  t.is(notModified?.headers.get('etag'), '"v1"');
  t.is(notModified?.headers.get('content-type'), null);
  t.is(await notModified?.text(), '');
  t.is((await conditional({ 'if-none-match': 'W/"v1"' }))?.status, 304, 'If-None-Match compares weakly');
  t.is((await conditional({ 'if-none-match': '"v2"' }))?.status, 200);
  t.is((await conditional({ 'if-modified-since': new Date().toUTCString() }))?.status, 304);
  t.is((await conditional({ 'if-modified-since': new Date(Date.now() - 7_200_000).toUTCString() }))?.status, 200);
  t.is((await conditional({ 'if-none-match': '"v2"', 'if-modified-since': new Date().toUTCString() }))?.status, 200, 'If-None-Match wins over If-Modified-Since');
});

shared('match answers Range with 206, and an unsatisfiable one with 416', async (t, caches) => {
  const cache = caches('shop').default;
  await cache.put(URL_A, fresh('0123456789', { etag: '"v1"' }));
  const ranged = (range: string, extra: Record<string, string> = {}) => cache.match(new Request(URL_A, { headers: { range, ...extra } }));
  const middle = await ranged('bytes=2-5');
  t.is(middle?.status, 206);
  t.is(middle?.headers.get('content-range'), 'bytes 2-5/10');
  t.is(middle?.headers.get('content-length'), '4');
  t.is(await middle?.text(), '2345');
  t.is(await (await ranged('bytes=7-'))?.text(), '789');
  t.is(await (await ranged('bytes=-3'))?.text(), '789');
  t.is(await (await ranged('bytes=8-100'))?.text(), '89');
  const beyond = await ranged('bytes=10-12');
  t.is(beyond?.status, 416);
  t.is(beyond?.headers.get('content-range'), 'bytes */10');
  t.is((await ranged('bytes=0-1', { 'if-range': '"v1"' }))?.status, 206);
  const changed = await ranged('bytes=0-1', { 'if-range': '"v0"' });
  t.is(changed?.status, 200, 'If-Range naming another version gets the whole response');
  t.is(await changed?.text(), '0123456789');
  t.is((await ranged('bytes=0-1,4-5'))?.status, 200, 'several ranges get the whole response');
});

shared('caches.open names separate caches, and apps never share one', async (t, caches) => {
  const shop = caches('shop');
  await shop.default.put(URL_A, fresh('default'));
  await shop.open('images').put(URL_A, fresh('images'));
  t.is(await (await shop.default.match(URL_A))?.text(), 'default');
  t.is(await (await shop.open('images').match(URL_A))?.text(), 'images');
  t.is(await shop.open('other').match(URL_A), undefined);
  t.is(await caches('blog').default.match(URL_A), undefined);
  t.is(await caches('blog').open('images').match(URL_A), undefined);
  t.false(await caches('blog').default.delete(URL_A));
  t.is(await (await shop.default.match(URL_A))?.text(), 'default');
});

shared(
  'a response body over the value limit is refused',
  async (t, caches) => {
    const cache = caches('shop').default;
    await cache.put(URL_A, fresh('x'.repeat(100)));
    const error = await t.throwsAsync(cache.put('https://shop.example/big', fresh('x'.repeat(101))), { instanceOf: HangarError });
    t.is(error?.code, ErrorCode.LIMIT_CACHE);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(60));
      },
    });
    const streamed = await t.throwsAsync(cache.put('https://shop.example/stream', fresh(stream)), { instanceOf: HangarError });
    t.is(streamed?.code, ErrorCode.LIMIT_CACHE, 'an endless body is cut off at the limit');
  },
  { cacheValueBytes: 100 },
);

shared(
  'the matches one app has in flight count against its read budget (cacheReadBytes)',
  async (t, caches) => {
    const cache = caches('shop').default;
    await cache.put(URL_A, fresh('x'.repeat(300_000)));
    const matches = await Promise.allSettled(Array.from({ length: 6 }, () => cache.match(URL_A)));
    const refused = matches.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof HangarError && outcome.reason.details.limit === 'cacheReadBytes');
    t.is(refused.length, 6 - matches.filter((outcome) => outcome.status === 'fulfilled').length);
    t.true(refused.length >= 3, `${refused.length} of 6 were refused`);
    t.is((await (await cache.match(URL_A))?.text())?.length, 300_000, 'answered matches no longer count');
  },
  { cacheValueBytes: 300_000, cacheReadBytes: 1_000_000 },
);

shared('ignoreSearch matches and deletes the responses of a URL whatever their query', async (t, caches) => {
  const cache = caches('shop').default;
  const other = await caches('shop').open('other');
  await cache.put('https://shop.example/list?page=1', fresh('page 1'));
  await cache.put('https://shop.example/list?page=2', fresh('page 2'));
  await cache.put('https://shop.example/list', fresh('no query'));
  await cache.put('https://shop.example/list/deeper?page=1', fresh('deeper'));
  await other.put('https://shop.example/list?page=1', fresh('other cache'));
  t.is(await cache.match('https://shop.example/list?page=3'), undefined, 'without ignoreSearch the query counts');
  t.is(await (await cache.match('https://shop.example/list?page=2', { ignoreSearch: true }))?.text(), 'page 2', 'the exact URL first');
  t.is(await (await cache.match('https://shop.example/list?page=3', { ignoreSearch: true }))?.text(), 'no query');
  t.is(await (await cache.match('https://shop.example/list/deeper', { ignoreSearch: true }))?.text(), 'deeper');
  t.is(await cache.match('https://shop.example/lis?page=1', { ignoreSearch: true }), undefined);
  t.is(await caches('blog').default.match('https://shop.example/list?page=1', { ignoreSearch: true }), undefined, 'apps never share');

  t.true(await cache.delete('https://shop.example/list?anything', { ignoreSearch: true }));
  for (const url of ['https://shop.example/list?page=1', 'https://shop.example/list?page=2', 'https://shop.example/list']) t.is(await cache.match(url), undefined);
  t.is(await cache.match('https://shop.example/list?page=1', { ignoreSearch: true }), undefined);
  t.is(await (await cache.match('https://shop.example/list/deeper?page=1'))?.text(), 'deeper', 'another path is untouched');
  t.is(await (await other.match('https://shop.example/list?page=1'))?.text(), 'other cache', 'another cache is untouched');
  t.false(await cache.delete('https://shop.example/list', { ignoreSearch: true }));
  // A query stored again after the delete is found again.
  await cache.put('https://shop.example/list?page=1', fresh('page 1 again'));
  t.is(await (await cache.match('https://shop.example/list', { ignoreSearch: true }))?.text(), 'page 1 again');
});
