// When Redis goes away mid-run the cache answers misses (and logs), and it recovers by itself when Redis is back.
import test from 'ava';
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
