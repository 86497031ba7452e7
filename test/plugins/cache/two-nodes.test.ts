// Two runtimes sharing one Redis: what one writes, purges or lets expire, the other sees at once, in-process layer included.
import test from 'ava';
import { createClient } from '@keyv/redis';
import { cacheRuntime, redisUrl, sleep, SHARED_REDIS } from './helpers.js';

function twoNodes(t: Parameters<typeof cacheRuntime>[0]) {
  const url = redisUrl(t);
  const a = cacheRuntime(t, url).plugin.tenantCache('shop');
  const b = cacheRuntime(t, url).plugin.tenantCache('shop');
  return { url, a, b };
}

test('a set on one node is read on the other', async (t) => {
  const { a, b } = twoNodes(t);
  t.true(await a.set('k', 'v1'));
  t.is(await b.getString('k'), 'v1');
  t.true(await b.set('k', 'v2'));
  t.is(await a.getString('k'), 'v2');
});

test('a node keeps read entries in process, and a write on another node replaces them before it resolves', async (t) => {
  const { url, a, b } = twoNodes(t);
  await a.set('k', 'v1', { tags: ['t'] });
  t.is(await b.getString('k'), 'v1');
  // Deleting behind Hangar's back shows B answers from its in-process layer...
  const raw = createClient({ url: SHARED_REDIS });
  await raw.connect();
  t.teardown(() => raw.close());
  const prefix = decodeURIComponent(new URL(url).searchParams.get('prefix')!);
  const [stored] = await raw.keys(`${prefix}cache::k*`);
  t.truthy(stored);
  await raw.set(stored!, await raw.get(stored!).then((value) => value!.replace('v1', 'behind')));
  t.is(await b.getString('k'), 'v1', 'served from the in-process layer');
  // ...and that every write through Hangar reaches it before the write resolves.
  t.true(await a.set('k', 'v2', { tags: ['t'] }));
  t.is(await b.getString('k'), 'v2');
  t.is(await b.getString('k'), 'v2');
  t.deepEqual(await a.purgeTag('t'), ['k']);
  t.is(await b.getString('k'), null);
  await a.set('k', 'v3');
  t.is(await b.getString('k'), 'v3');
  t.true(await a.del('k'));
  t.is(await b.getString('k'), null);
});

test('writes one node makes in one turn, batched or each with its expiry, reach the other node\'s in-process copies before they resolve', async (t) => {
  const { a, b } = twoNodes(t);
  const keys = Array.from({ length: 32 }, (_, i) => `k${i}`);
  await Promise.all(keys.map((key) => a.set(key, 'old')));
  t.deepEqual(await b.getMultiString(keys), keys.map(() => 'old'), 'now in B\'s in-process layer');
  t.deepEqual(await Promise.all(keys.map((key) => a.set(key, `new ${key}`))), keys.map(() => true));
  t.deepEqual(await b.getMultiString(keys), keys.map((key) => `new ${key}`));
  // Writes with expiries go another way (each its own SET), and must reach B's copies just the same.
  t.deepEqual(await Promise.all(keys.map((key, i) => a.set(key, `expiring ${key}`, i % 2 ? 60 : undefined))), keys.map(() => true));
  t.deepEqual(await b.getMultiString(keys), keys.map((key) => `expiring ${key}`));
  t.true((await b.ttl('k1'))! <= 60);
  t.is(await b.ttl('k0'), Infinity);
});

test('purgeTag on one node removes the keys on the other before it resolves', async (t) => {
  const { a, b } = twoNodes(t);
  await a.set('p1', 'x', { tags: ['promo'] });
  await b.set('p2', 'y', { tags: ['promo', 'other'] });
  await b.set('p3', 'z', { tags: ['other'] });
  t.deepEqual(await b.getMultiString(['p1', 'p2', 'p3']), ['x', 'y', 'z']);
  t.deepEqual(await a.getMultiString(['p1', 'p2', 'p3']), ['x', 'y', 'z']);
  t.deepEqual((await a.global.purgeTag('promo')).sort(), ['p1', 'p2']);
  t.deepEqual(await b.getMultiString(['p1', 'p2', 'p3']), [null, null, 'z']);
  t.deepEqual(await b.purgeTag('other'), ['p3']);
  t.is(await a.getString('p3'), null);
});

test('TTL expiry is observed on both nodes, and expire() on one changes it for both', async (t) => {
  const { a, b } = twoNodes(t);
  await a.set('short', 'v', 1);
  await a.set('later', 'v', 60);
  t.is(await b.getString('short'), 'v');
  t.is(await b.getString('later'), 'v');
  t.true((await b.ttl('short'))! <= 1);
  t.true(await b.expire('later', 1));
  t.true((await a.ttl('later'))! <= 1);
  await sleep(1_100);
  t.is(await a.getString('short'), null);
  t.is(await b.getString('short'), null);
  t.is(await a.getString('later'), null);
  t.is(await b.getString('later'), null);
});

test('onlyIfEmpty is atomic across nodes', async (t) => {
  const { a, b } = twoNodes(t);
  const wins = await Promise.all([...Array.from({ length: 5 }, () => a.set('lock', 'a', { onlyIfEmpty: true })), ...Array.from({ length: 5 }, () => b.set('lock', 'b', { onlyIfEmpty: true }))]);
  t.is(wins.filter(Boolean).length, 1);
});

test('a write waits for the other nodes to confirm, and logs when one does not in time', async (t) => {
  const url = redisUrl(t);
  const node = cacheRuntime(t, url, { plugin: { ackTimeoutMs: 300 } });
  const cache = node.plugin.tenantCache('shop');
  t.true(await cache.set('warm', 'up'));
  // A node that greets like every node does on start-up, then never acknowledges anything, as a stuck node would.
  const prefix = decodeURIComponent(new URL(url).searchParams.get('prefix')!);
  const silent = createClient({ url: SHARED_REDIS });
  await silent.connect();
  t.teardown(() => silent.close());
  const heard: string[] = [];
  const publisher = silent.duplicate();
  await publisher.connect();
  t.teardown(() => publisher.close());
  await silent.subscribe(`${prefix}cache::bus`, (message) => heard.push(message));
  t.is(await publisher.publish(`${prefix}cache::bus`, 'silent 1 hello'), 2);
  await sleep(100);
  const started = Date.now();
  t.true(await cache.set('k', 'v'));
  t.true(Date.now() - started >= 290, 'the write waited for the silent node');
  const invalidations = heard.filter((message) => !message.endsWith(' hello'));
  t.is(invalidations.length, 1);
  t.regex(invalidations[0]!, /cache::k4:shop:k/);
  t.true(node.logs.lines.some((line) => line.level === 40 && /not every node confirmed/.test(line.msg)));
});

test('a node that found itself alone writes without publishing, and publishes again once another node starts', async (t) => {
  const url = redisUrl(t);
  const a = cacheRuntime(t, url).plugin.tenantCache('shop');
  t.true(await a.set('k', 'v1'));
  t.true(await a.set('k', 'v2'));
  t.true(await a.set('gone', 'x'));
  // B starts after A stopped publishing: its greeting must reach A before B keeps any copy.
  const late = cacheRuntime(t, url);
  const b = late.plugin.tenantCache('shop');
  t.is(await b.getString('k'), 'v2');
  t.is(await b.getString('gone'), 'x');
  t.true(await a.set('k', 'v3'));
  t.is(await b.getString('k'), 'v3', 'B dropped its copy before the write resolved');
  t.true(await a.set('lock', 'a', { onlyIfEmpty: true }));
  t.is(await b.getString('lock'), 'a');
  t.true(await a.del('gone'));
  t.is(await b.getString('gone'), null);
  // Once B is gone, A finds itself alone again and keeps working.
  await late.runtime.close();
  t.true(await a.set('k', 'v4'));
  t.true(await a.set('k', 'v5'));
  t.is(await a.getString('k'), 'v5');
  t.false(await a.set('lock', 'again', { onlyIfEmpty: true }));
  t.true(await a.del('lock'));
  t.true(await a.set('lock', 'again', { onlyIfEmpty: true }));
  // Bare SET NX is as atomic as the script: one of many racing writers wins, and its value is the one kept.
  const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => a.set('race', `w${i}`, { onlyIfEmpty: true })));
  t.is(wins.filter(Boolean).length, 1);
  t.is(await a.getString('race'), `w${wins.indexOf(true)}`);
});
