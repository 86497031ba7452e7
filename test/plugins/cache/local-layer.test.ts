// The in-process layer: bounded, TTL-aware, and never keeping a read that raced an invalidation.
import test from 'ava';
import { LocalLayer } from '../../../plugins/cache/local-layer.js';

const layer = () => new LocalLayer({ maxBytes: 1_000, maxEntryBytes: 100, maxAgeMs: 60_000 });

test('a read that started before an invalidation is not kept', (t) => {
  const l = layer();
  const mark = l.mark();
  l.drop(['k']);
  l.keep('k', { v: 'old' }, mark);
  t.is(l.get('k'), undefined);
  l.keep('k', { v: 'new' }, l.mark());
  t.deepEqual(l.get('k'), { v: 'new' });
  l.clear();
  t.is(l.get('k'), undefined);
});

test('entries follow their own expiry, and large values are not kept', (t) => {
  const l = layer();
  const now = Date.now();
  l.keep('soon', { v: 'x', x: now + 5 }, l.mark(), now);
  t.truthy(l.get('soon', now));
  t.is(l.get('soon', now + 10), undefined);
  l.keep('big', { v: 'x'.repeat(101) }, l.mark());
  t.is(l.get('big'), undefined);
  for (let i = 0; i < 50; i++) l.keep(`k${i}`, { v: 'x'.repeat(100) }, l.mark());
  t.is(l.get('k0'), undefined, 'the least recently used entries leave once the byte budget is full');
  t.truthy(l.get('k49'));
});

test('a layer of size 0 is off', (t) => {
  const l = new LocalLayer({ maxBytes: 0, maxEntryBytes: 100, maxAgeMs: 60_000 });
  t.false(l.enabled);
  l.keep('k', { v: 'x' }, l.mark());
  t.is(l.get('k'), undefined);
});
