// The plain reads, or the plain writes, one turn makes go to Redis as one command, in the order the app made them.
import test, { type ExecutionContext } from 'ava';
import { createClient } from '@keyv/redis';
import type { Limits } from '../../../core/options.js';
import { cacheRuntime, connected, OwnRedis } from './helpers.js';

/** A private Redis (its command counts are this test's alone) and a tenant cache on it, with no in-process layer. */
async function setup(t: ExecutionContext, limits: Partial<Limits> = {}) {
  const redis = await OwnRedis.start(t);
  const { plugin } = cacheRuntime(t, redis.url, { plugin: { layer: { maxBytes: 0 } }, limits });
  const admin = createClient({ url: redis.url });
  await admin.connect();
  t.teardown(() => admin.close());
  const cache = plugin.tenantCache('shop');
  // Connected and subscribed: the counts below are the cache's data commands only.
  t.true(await connected(cache));
  /** How many times each command ran since the last call. */
  const commands = async (): Promise<Record<string, number>> => {
    const info = await admin.info('commandstats');
    await admin.configResetStat();
    return Object.fromEntries([...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, name, calls]) => [name!, Number(calls)]));
  };
  await commands();
  return { cache, commands };
}

test('the writes one turn makes reach Redis as one MSET, and its reads as one call of the read script', async (t) => {
  const { cache, commands } = await setup(t);
  const keys = Array.from({ length: 32 }, (_, i) => `k${i}`);
  t.deepEqual(await Promise.all(keys.map((key) => cache.set(key, `value of ${key}`))), keys.map(() => true));
  t.like(await commands(), { mset: 1 });
  t.deepEqual(await Promise.all(keys.map((key) => cache.getString(key))), keys.map((key) => `value of ${key}`));
  const counted = await commands();
  // The script fetches in runs that fit the app's read budget (Redis counts the calls it makes too).
  t.is((counted.eval ?? 0) + (counted.evalsha ?? 0), 1);
  t.true((counted.mget ?? 0) >= 1);
  t.false('get' in counted, 'no read went alone');
});

test('with the read budget turned off (cacheReadBytes: Infinity) a turn’s reads go as one MGET', async (t) => {
  const { cache, commands } = await setup(t, { cacheReadBytes: Infinity });
  const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
  await Promise.all(keys.map((key) => cache.set(key, key)));
  await commands();
  t.deepEqual(await Promise.all(keys.map((key) => cache.getString(key))), keys);
  const counted = await commands();
  t.like(counted, { mget: 1 });
  t.false('get' in counted || 'evalsha' in counted || 'eval' in counted, 'no read went alone or through the script');
});

test('a write with a TTL, a delete or a read between them keeps the order the app made its calls in', async (t) => {
  const { cache } = await setup(t);
  t.true(await cache.set('b', 'old'));
  // One turn, nothing awaited in between.
  const calls = [
    cache.set('a', 'first'),
    cache.getString('a'),
    cache.getString('b'),
    cache.set('b', 'new'),
    cache.set('c', 'x'),
    cache.set('c', 'y', { ttl: 60 }),
    cache.set('c', 'z'),
    cache.set('d', 'gone soon'),
    cache.del('d'),
    cache.getMultiString(['a', 'b', 'c', 'd']),
  ];
  t.deepEqual(await Promise.all(calls), [true, 'first', 'old', true, true, true, true, true, true, ['first', 'new', 'z', null]]);
  t.is(await cache.ttl('c'), Infinity, 'the last write, without a TTL, is the one that holds');
});

test('writes with a TTL in one turn go as SETs, each keeping its own expiry', async (t) => {
  const { cache, commands } = await setup(t);
  const keys = Array.from({ length: 32 }, (_, i) => `k${i}`);
  // Every other key expires; Redis has no MSET with an expiry.
  t.deepEqual(await Promise.all(keys.map((key, i) => cache.set(key, key, i % 2 ? { ttl: 60 } : undefined))), keys.map(() => true));
  const counted = await commands();
  t.is(counted.set, 32);
  t.false('mset' in counted);
  const ttls = await Promise.all(keys.map((key) => cache.ttl(key)));
  keys.forEach((key, i) => {
    if (i % 2) t.true(ttls[i]! > 58 && ttls[i]! <= 60, `${key}: ${ttls[i]}`);
    else t.is(ttls[i], Infinity, key);
  });
});

test('a turn with more writes than one batch holds sends them in several', async (t) => {
  const { cache, commands } = await setup(t);
  const keys = Array.from({ length: 1500 }, (_, i) => `k${i}`);
  t.true((await Promise.all(keys.map((key) => cache.set(key, key)))).every(Boolean));
  t.like(await commands(), { mset: 2 });
  t.deepEqual(await cache.getMultiString(['k0', 'k1023', 'k1024', 'k1499']), ['k0', 'k1023', 'k1024', 'k1499']);
});
