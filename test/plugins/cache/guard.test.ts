// The store guard: a failing or silent store answers the fallback (logged), the app's own errors still throw.
import test from 'ava';
import { pino } from 'pino';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { FailureLog } from '../../../plugins/cache/failure-log.js';
import { StoreGuard } from '../../../plugins/cache/guard.js';
import { sleep } from './helpers.js';

function guard(timeoutMs: number) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  return { guard: new StoreGuard(new FailureLog(logger, 'test store', 0), timeoutMs), lines };
}

test('answers pass through; failures answer the fallback and are logged; HangarErrors throw', async (t) => {
  const { guard: g, lines } = guard(1_000);
  t.is(await g.run('a read', async () => 'value', 'miss'), 'value');
  t.is(await g.run('a read', () => Promise.reject(new Error('connection lost')), 'miss'), 'miss');
  t.is(await g.run('a read', () => { throw new Error('thrown at once'); }, 'miss'), 'miss');
  t.true(lines.some((line) => line.includes('a read failed') && line.includes('connection lost')));
  const error = await t.throwsAsync(g.run('a write', () => Promise.reject(new HangarError(ErrorCode.LIMIT_CACHE, 'too big')), false));
  t.true(error instanceof HangarError);
});

test('a silent call answers the fallback after the timeout, without holding up the calls around it', async (t) => {
  const { guard: g, lines } = guard(500);
  const started = Date.now();
  let late: (value: string) => void = () => undefined;
  let silentSettled = false;
  const silent = g.run('a read', () => new Promise<string>((resolve) => (late = resolve)), 'miss');
  void silent.then(() => (silentSettled = true));
  const quick = await Promise.all([g.run('a read', async () => 'a', 'miss'), g.run('a read', () => sleep(20).then(() => 'b'), 'miss')]);
  t.deepEqual(quick, ['a', 'b']);
  t.false(silentSettled, 'the quick calls did not wait for the silent one');
  t.is(await silent, 'miss');
  t.true(Date.now() - started >= 490);
  t.true(lines.some((line) => line.includes('did not answer within 500 ms')));
  // A late answer changes nothing, and calls started later get their own full timeout.
  late('too late');
  const next = g.run('a read', () => sleep(100).then(() => 'c'), 'miss');
  const after = g.run('a read', () => new Promise<string>(() => undefined), 'miss');
  t.is(await next, 'c');
  t.is(await after, 'miss');
});

test('many quick calls behind silent ones are all answered, and the silent ones still time out', async (t) => {
  const { guard: g } = guard(300);
  const never = () => new Promise<string>(() => undefined);
  const first = g.run('a read', never, 'first timed out');
  const quick = Array.from({ length: 3_000 }, (_, i) => g.run('a read', async () => `q${i}`, 'miss'));
  const middle = g.run('a read', never, 'middle timed out');
  const more = Array.from({ length: 3_000 }, (_, i) => g.run('a read', async () => `r${i}`, 'miss'));
  t.deepEqual(await Promise.all(quick), Array.from({ length: 3_000 }, (_, i) => `q${i}`));
  t.deepEqual(await Promise.all(more), Array.from({ length: 3_000 }, (_, i) => `r${i}`));
  t.is(await first, 'first timed out');
  t.is(await middle, 'middle timed out');
  t.is(await g.run('a read', async () => 'after', 'miss'), 'after');
});
