import test from 'ava';
import { ErrorCode, HangarError, toHangarError } from '../../core/errors.js';

test('each code has a default HTTP status, and an explicit status wins', (t) => {
  t.is(new HangarError(ErrorCode.LIMIT_WALL_TIME, 'slow').status, 504);
  t.is(new HangarError(ErrorCode.NOT_FOUND, 'gone').status, 404);
  t.is(new HangarError(ErrorCode.LIMIT_BODY_SIZE, 'big').status, 413);
  t.is(new HangarError(ErrorCode.CONFIG_INVALID, 'bad', { status: 409 }).status, 409);
});

test('toJSON carries code and message, and details only when there are some', (t) => {
  t.deepEqual(new HangarError(ErrorCode.BAD_REQUEST, 'no').toJSON(), { code: 'E_BAD_REQUEST', message: 'no' });
  t.deepEqual(new HangarError(ErrorCode.BAD_REQUEST, 'no', { details: { field: 'x' } }).toJSON(), {
    code: 'E_BAD_REQUEST',
    message: 'no',
    details: { field: 'x' },
  });
});

test('toHangarError keeps a HangarError and wraps anything else with its cause', (t) => {
  const original = new HangarError(ErrorCode.NOT_FOUND, 'x');
  t.is(toHangarError(original), original);
  const cause = new TypeError('boom');
  const wrapped = toHangarError(cause, ErrorCode.APP_EXCEPTION);
  t.is(wrapped.code, 'E_APP_EXCEPTION');
  t.is(wrapped.message, 'boom');
  t.is(wrapped.cause, cause);
  t.is(toHangarError('text').message, 'text');
});
