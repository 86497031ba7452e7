// The request path's hook runner: synchronous taps run without a promise, with tapable's order and semantics.
import test from 'ava';
import { AsyncSeriesBailHook, AsyncSeriesWaterfallHook } from 'tapable';
import { isPromise, runBail, runWaterfall } from '../../core/hook-runner.js';

test('a waterfall of synchronous taps answers at once, each tap in stage order, undefined keeping the value', (t) => {
  const hook = new AsyncSeriesWaterfallHook<[string, string[]]>(['value', 'seen']);
  hook.tap({ name: 'late', stage: 10 }, (value, seen) => (seen.push('late'), `${value}+late`));
  hook.tap('first', (value, seen) => (seen.push('first'), `${value}+first`));
  hook.tap('keeps', (_value, seen) => {
    seen.push('keeps');
    return undefined as unknown as string;
  });
  const seen: string[] = [];
  const result = runWaterfall(hook, 'v', seen);
  t.false(isPromise(result));
  t.is(result, 'v+first+late');
  t.deepEqual(seen, ['first', 'keeps', 'late']);
});

test('a bail hook of synchronous taps stops at the first answer that is not undefined', (t) => {
  const hook = new AsyncSeriesBailHook<[number, string[]], string>(['value', 'seen']);
  hook.tap('pass', (_value, seen) => {
    seen.push('pass');
    return undefined as unknown as string;
  });
  hook.tap('answer', (value, seen) => (seen.push('answer'), `got ${value}`));
  hook.tap('never', (_value, seen) => (seen.push('never'), 'too late'));
  const seen: string[] = [];
  t.is(runBail(hook, 7, seen), 'got 7');
  t.deepEqual(seen, ['pass', 'answer']);
  t.is(runBail(new AsyncSeriesBailHook<[number, string[]], string>(['value', 'seen']), 1, []), undefined);
});

test('a synchronous tap that throws throws to the caller', (t) => {
  const hook = new AsyncSeriesWaterfallHook<[string, null]>(['value', 'none']);
  hook.tap('bad', () => {
    throw new RangeError('no');
  });
  t.throws(() => runWaterfall(hook, 'v', null), { instanceOf: RangeError, message: 'no' });
});

test('one asynchronous tap, or an interceptor, sends the hook through tapable, with the same answers', async (t) => {
  const hook = new AsyncSeriesWaterfallHook<[string, null]>(['value', 'none']);
  hook.tap('sync', (value) => `${value}+sync`);
  hook.tapPromise('async', async (value) => `${value}+async`);
  const result = runWaterfall(hook, 'v', null);
  t.true(isPromise(result));
  t.is(await result, 'v+sync+async');

  const intercepted = new AsyncSeriesBailHook<[number, null], string>(['value', 'none']);
  const calls: number[] = [];
  intercepted.intercept({ call: (value: number) => void calls.push(value) });
  intercepted.tap('answer', (value) => `got ${value}`);
  const bailed = runBail(intercepted, 3, null);
  t.true(isPromise(bailed));
  t.is(await bailed, 'got 3');
  t.deepEqual(calls, [3], 'the interceptor saw the call');
});
