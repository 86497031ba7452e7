// The tenant cache API, run against every store (memory, SQLite, Redis) by one shared set of cases.
import test, { type ExecutionContext } from 'ava';
import { ErrorCode, HangarError, type ErrorCodeName } from '../../../core/errors.js';
import type { Limits } from '../../../core/options.js';
import type { TenantCache } from '../../../plugins/cache/tenant-cache.js';
import { cacheRuntime, sleep, STORES, type StoreFixture } from './helpers.js';

type Case = (t: ExecutionContext, cache: (app: string) => TenantCache, store: StoreFixture) => Promise<void>;

/** Registers one case per store, the way Miniflare runs one suite over each storage. */
function shared(title: string, body: Case, options: { limits?: Partial<Limits>; stores?: StoreFixture['name'][] } = {}): void {
  for (const store of STORES.filter((s) => !options.stores || options.stores.includes(s.name))) {
    test(`${title} (${store.name})`, async (t) => {
      const { plugin } = cacheRuntime(t, await store.url(t), { limits: options.limits });
      await body(t, (app) => plugin.tenantCache(app), store);
    });
  }
}

const text = (buffer: ArrayBuffer | null) => (buffer === null ? null : new TextDecoder().decode(buffer));

shared('strings and bytes round-trip through get and getString', async (t, cache) => {
  const c = cache('shop');
  t.true(await c.set('greeting', 'héllo ☃'));
  t.is(await c.getString('greeting'), 'héllo ☃');
  t.is(text(await c.get('greeting')), 'héllo ☃');

  const bytes = new Uint8Array([0, 1, 2, 250, 255, 58]);
  t.true(await c.set('bytes', bytes.buffer));
  t.deepEqual([...new Uint8Array((await c.get('bytes'))!)], [...bytes]);
  // A view stores only its own window of the buffer.
  t.true(await c.set('view', new Uint8Array([9, 8, 7, 6]).subarray(1, 3)));
  t.deepEqual([...new Uint8Array((await c.get('view'))!)], [8, 7]);
  t.true(await c.set('utf8', new TextEncoder().encode(':starts with a colon')));
  t.is(await c.getString('utf8'), ':starts with a colon');
  t.true(await c.set(':colon', ':value'));
  t.is(await c.getString(':colon'), ':value');

  t.is(await c.get('missing'), null);
  t.is(await c.getString('missing'), null);
});

shared('getMulti and getMultiString answer in order, with null for misses', async (t, cache) => {
  const c = cache('shop');
  await c.set('a', 'A');
  await c.set('c', new TextEncoder().encode('C'));
  t.deepEqual(await c.getMultiString(['a', 'b', 'c']), ['A', null, 'C']);
  t.deepEqual((await c.getMulti(['c', 'nope', 'a'])).map(text), ['C', null, 'A']);
  t.deepEqual(await c.getMultiString([]), []);
});

shared('set with a TTL expires; ttl() reads what is left; expire() changes it', async (t, cache) => {
  const c = cache('shop');
  t.true(await c.set('short', 'x', 0.3));
  t.true(await c.set('long', 'y', { ttl: 60 }));
  t.true(await c.set('forever', 'z'));
  const left = (await c.ttl('long'))!;
  t.true(left > 50 && left <= 60, `ttl was ${left}`);
  t.is(await c.ttl('forever'), Infinity);
  t.is(await c.ttl('missing'), null);

  t.true(await c.expire('forever', 0.3));
  t.true(await c.expire('long', 120));
  t.true((await c.ttl('long'))! > 110);
  t.false(await c.expire('missing', 10));

  await sleep(450);
  t.is(await c.getString('short'), null);
  t.is(await c.getString('forever'), null);
  t.is(await c.ttl('short'), null);
  t.is(await c.getString('long'), 'y');
});

shared('onlyIfEmpty stores only when the key holds nothing live', async (t, cache) => {
  const c = cache('shop');
  t.true(await c.set('lock', 'first', { onlyIfEmpty: true, ttl: 1 }));
  t.false(await c.set('lock', 'second', { onlyIfEmpty: true }));
  t.is(await c.getString('lock'), 'first');
  await sleep(1_100);
  t.true(await c.set('lock', 'third', { onlyIfEmpty: true }));
  t.is(await c.getString('lock'), 'third');
  // Racing writers: exactly one wins.
  const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => c.set('race', `w${i}`, { onlyIfEmpty: true })));
  t.is(wins.filter(Boolean).length, 1);
});

shared('del removes a key and says whether it was there', async (t, cache) => {
  const c = cache('shop');
  await c.set('k', 'v');
  t.true(await c.del('k'));
  t.is(await c.get('k'), null);
  t.false(await c.del('k'));
  await c.set('g', 'v');
  t.true(await c.global.del('g'));
  t.is(await c.get('g'), null);
});

shared('purgeTag deletes exactly the keys that carry the tag now, and answers them', async (t, cache) => {
  const c = cache('shop');
  await c.set('a', '1', { tags: ['red', 'big'] });
  await c.set('b', '2', { tags: ['red'], ttl: 60 });
  await c.set('c', '3', { tags: ['big'] });
  await c.set('d', '4', { tags: ['red'] });
  await c.set('d', '4 again'); // re-set without the tag: no longer red
  await c.set('e', '5', { tags: ['blue'] });
  t.true(await c.setTags('e', ['red']));
  await c.set('f', '6', { tags: ['red'] });
  t.true(await c.setTags('f', []));
  t.false(await c.setTags('missing', ['red']));

  t.deepEqual((await c.purgeTag('red')).sort(), ['a', 'b', 'e']);
  t.deepEqual(await c.getMultiString(['a', 'b', 'c', 'd', 'e', 'f']), [null, null, '3', '4 again', null, '6']);
  t.deepEqual(await c.purgeTag('red'), []);
  t.deepEqual(await c.purgeTag('blue'), [], 'e lost the blue tag when its tags were replaced');
  t.deepEqual(await c.global.purgeTag('big'), ['c']);
  t.is(await c.getString('c'), null);
  await c.set(':odd', 'v', { tags: [':colon-tag'] });
  t.deepEqual(await c.purgeTag(':colon-tag'), [':odd']);
});

shared('an expired key is not reported as purged', async (t, cache) => {
  const c = cache('shop');
  await c.set('gone', 'v', { tags: ['t'], ttl: 0.1 });
  await c.set('here', 'v', { tags: ['t'] });
  await sleep(200);
  t.deepEqual(await c.purgeTag('t'), ['here']);
});

shared('apps never see each other’s keys, whatever the key and app strings', async (t, cache) => {
  // With a naive `${app}:${key}` both of these would be the store key "a:b:c".
  const a = cache('a');
  const ab = cache('a:b');
  await a.set('b:c', 'from a', { tags: ['t'] });
  await ab.set('c', 'from a:b', { tags: ['t'] });
  t.is(await a.getString('b:c'), 'from a');
  t.is(await ab.getString('c'), 'from a:b');
  t.is(await ab.getString('b:c'), null);
  t.is(await a.getString('c'), null);

  t.deepEqual(await ab.purgeTag('t'), ['c']);
  t.is(await a.getString('b:c'), 'from a', 'a purge in one app leaves the other app’s tagged keys');
  t.false(await ab.del('b:c'));
  t.is(await a.getString('b:c'), 'from a');
  // Key strings that look like encoded store keys reach nothing either.
  t.is(await ab.getString('k1:a:b:c'), null);
  t.is(await ab.getString('../a/b:c'), null);
});

shared('bad input is a HangarError that says what to fix', async (t, cache) => {
  const c = cache('shop');
  const bad = async (call: Promise<unknown>, code: ErrorCodeName) => {
    const error = await t.throwsAsync(call, { instanceOf: HangarError });
    t.is(error?.code, code);
  };
  await bad(c.set('', 'v'), ErrorCode.BAD_REQUEST);
  await bad(c.set(42, 'v'), ErrorCode.BAD_REQUEST);
  await bad(c.set('k', { an: 'object' }), ErrorCode.BAD_REQUEST);
  await bad(c.set('k', 'v', -1), ErrorCode.BAD_REQUEST);
  await bad(c.set('k', 'v', { ttl: Number.NaN }), ErrorCode.BAD_REQUEST);
  await bad(c.set('k', 'v', 1e306), ErrorCode.BAD_REQUEST);
  await bad(c.expire('k', 1e16), ErrorCode.BAD_REQUEST);
  await bad(c.set('k', 'v', { tll: 5 }), ErrorCode.BAD_REQUEST);
  await bad(c.set('k', 'v', { tags: 'red' }), ErrorCode.BAD_REQUEST);
  await bad(c.expire('k', 0), ErrorCode.BAD_REQUEST);
  await bad(c.getMulti('k'), ErrorCode.BAD_REQUEST);
  t.is(await c.get('k'), null, 'nothing was stored by the refused calls');
});

shared(
  'value size, key length and tags per key are limited',
  async (t, cache) => {
    const c = cache('shop');
    const limited = async (call: Promise<unknown>, limit: string) => {
      const error = await t.throwsAsync(call, { instanceOf: HangarError });
      t.is(error?.code, ErrorCode.LIMIT_CACHE);
      t.is(error?.status, 413);
      t.is(error?.details.limit, limit);
      t.regex(error?.message ?? '', new RegExp(`limits\\.${limit}`));
    };
    t.true(await c.set('fits', 'x'.repeat(1000)));
    await limited(c.set('big', 'x'.repeat(1001)), 'cacheValueBytes');
    await limited(c.set('bytes', new Uint8Array(1001)), 'cacheValueBytes');
    t.true(await c.set('k'.repeat(32), 'v'));
    await limited(c.set('k'.repeat(33), 'v'), 'cacheKeyBytes');
    await limited(c.set('é'.repeat(17), 'v'), 'cacheKeyBytes');
    await limited(c.set('k', 'v', { tags: ['a', 'b', 'c'] }), 'cacheTagsPerKey');
    t.true(await c.set('k', 'v', { tags: ['a', 'b', 'a'] }), 'duplicate tags count once');
    await limited(c.setTags('k', ['a', 'b', 'c']), 'cacheTagsPerKey');
    await limited(c.purgeTag('t'.repeat(33)), 'cacheKeyBytes');
    t.is(await c.get('big'), null);
  },
  { limits: { cacheValueBytes: 1000, cacheKeyBytes: 32, cacheTagsPerKey: 2 } },
);

shared(
  'the reads one app has in flight may answer at most cacheReadBytes; past it they fail, and other apps read on',
  async (t, cache) => {
    const a = cache('a');
    const b = cache('b');
    const big = 'x'.repeat(400_000);
    t.true(await a.set('big', big));
    t.true(await b.set('big', big));
    const overBudget = (error: unknown) => error instanceof HangarError && error.code === ErrorCode.LIMIT_CACHE && error.details.limit === 'cacheReadBytes';

    // Ten reads of one 400 kB value at once: two fit in 1 MB, the others fail instead of being fetched.
    const reads = Array.from({ length: 10 }, () => a.getString('big'));
    const other = b.getString('big');
    const settled = await Promise.allSettled(reads);
    t.deepEqual(
      settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value === big : overBudget(outcome.reason))),
      settled.map(() => true),
    );
    t.is(settled.filter((outcome) => outcome.status === 'fulfilled').length, 2);
    t.is(await other, big, 'the budget is per app');

    const error = await t.throwsAsync(a.getMulti(['big', 'big', 'big']), { instanceOf: HangarError });
    t.true(overBudget(error));
    t.is(error?.status, 413);
    t.regex(error?.message ?? '', /limits\.cacheReadBytes/);
    t.deepEqual(await a.getMultiString(['big', 'missing']), [big, null], 'answered reads no longer count');
    for (let i = 0; i < 5; i++) t.is(await a.getString('big'), big, 'reads awaited one by one never add up');
    const tooMany = await t.throwsAsync(a.getMulti(['1', '2', '3', '4', '5', '6']), { instanceOf: HangarError });
    t.is(tooMany?.details.limit, 'cacheMultiKeys');
  },
  { limits: { cacheReadBytes: 1_000_000, cacheValueBytes: 500_000, cacheMultiKeys: 5 } },
);

shared(
  'an app’s total bytes are limited on the memory and SQLite stores, and freed by deletes and expiry',
  async (t, cache) => {
    const a = cache('a');
    const b = cache('b');
    t.true(await a.set('one', 'x'.repeat(1500)));
    const error = await t.throwsAsync(a.set('two', 'x'.repeat(1500)), { instanceOf: HangarError });
    t.is(error?.code, ErrorCode.LIMIT_CACHE);
    t.is(error?.details.limit, 'cacheAppBytes');
    t.true(await b.set('two', 'x'.repeat(1500)), 'the budget is per app');
    t.true(await a.set('one', 'y'.repeat(1500)), 'replacing a value reuses its bytes');
    t.true(await a.del('one'));
    t.true(await a.set('two', 'x'.repeat(1500), 0.1));
    await sleep(200);
    t.true(await a.set('three', 'x'.repeat(1500)), 'expired entries no longer count');
  },
  { limits: { cacheAppBytes: 2500 }, stores: ['memory', 'sqlite'] },
);
