// When Redis goes away mid-run the cache answers misses (and logs), and it recovers by itself when Redis is back.
import test from 'ava';
import { createClient } from '@keyv/redis';
import { cacheRuntime, eventually, OwnRedis } from './helpers.js';

test('a Redis outage reads as a miss with an error logged, and the cache recovers without a restart', async (t) => {
  const redis = await OwnRedis.start(t);
  const { plugin, logs } = cacheRuntime(t, redis.url);
  const cache = plugin.tenantCache('shop');
  t.true(await cache.set('k', 'before', { tags: ['t'] }));
  t.is(await cache.getString('k'), 'before', 'now held in the in-process layer too');

  await redis.stop();
  // A read racing the crash may still see the last value; once the client noticed, reads miss.
  t.true(await eventually(async () => (await cache.getString('k')) === null, 1_000), 'no stale answer from the in-process layer while Redis is away');
  const started = Date.now();
  t.is(await cache.get('k'), null);
  t.deepEqual(await cache.getMultiString(['k', 'j']), [null, null]);
  t.is(await cache.ttl('k'), null);
  t.false(await cache.set('k', 'during'));
  t.false(await cache.expire('k', 10));
  t.false(await cache.setTags('k', ['u']));
  t.false(await cache.del('k'));
  t.deepEqual(await cache.purgeTag('t'), []);
  t.true(Date.now() - started < 1_000, 'misses are answered at once, not after a timeout');
  t.true(
    logs.lines.some((line) => line.level === 50 && /miss/.test(line.msg)),
    'an error says the cache answers as a miss',
  );

  await redis.resume();
  t.true(await eventually(() => cache.set('k', 'after')), 'writes work again once Redis is back');
  t.is(await cache.getString('k'), 'after');
  t.true(await cache.set('p', 'v', { tags: ['t'] }));
  t.deepEqual(await cache.purgeTag('t'), ['p'], 'scripts are loaded again into the restarted Redis');
  t.true(await eventually(() => logs.lines.some((line) => line.level === 30 && /answers again/.test(line.msg))));
});

test('after Redis comes back, two nodes greet again and keep each other’s in-process copies exact', async (t) => {
  const redis = await OwnRedis.start(t);
  const a = cacheRuntime(t, redis.url).plugin.tenantCache('shop');
  const b = cacheRuntime(t, redis.url).plugin.tenantCache('shop');
  t.true(await a.set('k', 'v1'));
  t.is(await b.getString('k'), 'v1');

  await redis.stop();
  t.true(await eventually(async () => (await b.getString('k')) === null, 1_000));
  await redis.resume();
  t.true(await eventually(() => a.set('k', 'v2'), 15_000));
  // B's layer comes back on once every node confirmed its greeting: a change made behind Hangar's back then goes unseen.
  const raw = createClient({ url: redis.url });
  await raw.connect();
  t.teardown(() => raw.destroy());
  const [stored] = await raw.keys('*k4:shop:k');
  const v2 = (await raw.get(stored!))!;
  const layered = async () => {
    // Through Hangar, so B drops any copy an earlier try left: one B kept as it went live, mid-try, holds 'behind'.
    if (!(await a.set('k', 'v2'))) return false;
    const read = await b.getString('k');
    await raw.set(stored!, v2.replace('v2', 'behind'));
    return read === 'v2' && (await b.getString('k')) === 'v2';
  };
  // Both clients reconnect with backoff (up to 2 s each) before the greetings go round: a busy machine takes a while.
  t.true(await eventually(layered, 15_000), 'B answers from its in-process layer again');
  // ...and every write through Hangar still reaches it before it resolves.
  t.true(await a.set('k', 'v3'));
  t.is(await b.getString('k'), 'v3');
  t.true(await a.del('k'));
  t.is(await b.getString('k'), null);
});
