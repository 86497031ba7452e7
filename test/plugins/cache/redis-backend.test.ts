// Redis entries are in keyv's format, whichever command wrote them, so keyv on the same store reads them.
import test from 'ava';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import type { Entry } from '../../../plugins/cache/entry.js';
import { CACHE_NAMESPACE } from '../../../plugins/cache/index.js';
import { entryKey } from '../../../plugins/cache/keys.js';
import { cacheRuntime, connected, redisUrl, SHARED_REDIS } from './helpers.js';

test('keyv reads what every write path stored: batched, alone, with a TTL, with tags, and strings that start with a colon', async (t) => {
  const url = redisUrl(t);
  const { plugin } = cacheRuntime(t, url);
  const cache = plugin.tenantCache('shop');
  t.true(await connected(cache));
  const bytes = new Uint8Array([58, 0, 255]);
  // Two plain writes in one turn go as one MSET; the others each take their own command.
  t.deepEqual(await Promise.all([cache.set('batched', ':one'), cache.set('also batched', 'two')]), [true, true]);
  t.true(await cache.set('alone', '::three'));
  t.true(await cache.set('ttl', 'four', 60));
  t.true(await cache.set('tagged', ':five', { tags: [':red', 'blue'], ttl: 60 }));
  t.true(await cache.set('bytes', bytes.buffer));

  const prefix = new URL(url).searchParams.get('prefix')!;
  const keyv = new Keyv(new KeyvRedis(SHARED_REDIS), { namespace: `${prefix}${CACHE_NAMESPACE}`, useKeyPrefix: false });
  t.teardown(() => keyv.disconnect());
  const stored = async (key: string) => keyv.get<Entry>(entryKey('k', 'shop', key));
  t.like(await stored('batched'), { v: ':one' });
  t.like(await stored('also batched'), { v: 'two' });
  t.like(await stored('alone'), { v: '::three' });
  // keyv expires an entry by its own `expires`, which is the entry's.
  const raw = await keyv.get<Entry>(entryKey('k', 'shop', 'ttl'), { raw: true });
  t.is(raw?.value?.v, 'four');
  t.is(raw?.expires, raw?.value?.x);
  t.true(raw!.expires! > Date.now() + 50_000 && raw!.expires! <= Date.now() + 60_000);
  t.like(await stored('tagged'), { v: ':five', t: [':red', 'blue'] });
  t.like(await stored('bytes'), { v: Buffer.from(bytes).toString('base64'), b: 1 });

  // And the cache reads them back as they were given.
  t.deepEqual(await cache.getMultiString(['batched', 'alone', 'tagged']), [':one', '::three', ':five']);
  t.deepEqual(await cache.purgeTag(':red'), ['tagged']);
});
