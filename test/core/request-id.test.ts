// Request ids are version-4 UUIDs, distinct, and spread over every random character position.
import test from 'ava';
import { requestId } from '../../core/request-id.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('request ids are distinct version-4 UUIDs, across refills of the random pool', (t) => {
  const ids = Array.from({ length: 2_000 }, () => requestId());
  for (const id of ids) t.regex(id, V4);
  t.is(new Set(ids).size, ids.length);
});

test('every random hex position takes many values', (t) => {
  const ids = Array.from({ length: 1_000 }, () => requestId());
  for (let position = 0; position < 36; position++) {
    if ([8, 13, 14, 18, 23].includes(position)) continue;
    const seen = new Set(ids.map((id) => id[position]));
    t.true(seen.size >= (position === 19 ? 4 : 12), `position ${position} took ${seen.size} values`);
  }
});
