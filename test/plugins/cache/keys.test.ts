// Entry keys encode (kind, app, key) so that no two different triples share a store key.
import test from 'ava';
import { entryKey, parseEntryKey, tagKey } from '../../../plugins/cache/keys.js';

const strings = ['', 'a', 'a:b', ':', '::', 'k1:a', '1:a:b', 'é☃', 'a\u0000b', '10:xxxxxxxxxx'];

test('every (kind, app, key) triple encodes to its own store key, and parses back', (t) => {
  const seen = new Map<string, string>();
  for (const kind of ['k', 'h'] as const) {
    for (const app of strings.filter(Boolean)) {
      for (const key of strings) {
        const stored = entryKey(kind, app, key);
        const triple = JSON.stringify([kind, app, key]);
        t.is(seen.get(stored) ?? triple, triple, `${stored} is claimed twice`);
        seen.set(stored, triple);
        t.deepEqual(parseEntryKey(stored), { kind, app, key });
      }
    }
  }
  t.is(seen.size, 2 * (strings.length - 1) * strings.length);
});

test('tag keys and entry keys never meet, and garbage does not parse', (t) => {
  t.is(parseEntryKey(tagKey('a', 'b')), undefined);
  for (const garbage of ['', 'k', 'kx:a:b', 'k5:ab:c', 'k2:ab', 'z1:a:b']) t.is(parseEntryKey(garbage), undefined, garbage);
});
