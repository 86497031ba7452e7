import test from 'ava';
import { mapLimit } from '../../../plugins/builders/limit.js';

test('mapLimit keeps order and never runs more than the limit at once', async (t) => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
    most = Math.max(most, ++running);
    await new Promise((resolve) => setTimeout(resolve, n * 2));
    running--;
    return n * 10;
  });
  t.deepEqual(out, [50, 10, 40, 20, 30]);
  t.is(most, 2);
});

test('after a failure mapLimit starts nothing new and rejects only once the items in flight have settled', async (t) => {
  const finished: number[] = [];
  const started: number[] = [];
  const error = await t.throwsAsync(
    mapLimit([0, 1, 2, 3], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('job 0 failed');
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished.push(n);
      return n;
    }),
  );
  t.is(error?.message, 'job 0 failed');
  t.deepEqual(started, [0, 1]);
  t.deepEqual(finished, [1], 'the job in flight finished before the rejection');
});
