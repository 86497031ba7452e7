// Event, EventTarget, CustomEvent, AbortController and AbortSignal inside an isolate, compared with Node's.
import test from 'ava';
import { inIsolate, inNode } from './platform-helpers.js';

test('EventTarget dispatch (once, signal, handleEvent, stopImmediatePropagation, preventDefault) matches Node', async (t) => {
  const body = String.raw`
    const log = [];
    const target = new EventTarget();
    const listener = (event) => log.push(['fn', event.type, event.eventPhase, event.target === target, event.currentTarget === target]);
    target.addEventListener('ping', listener);
    target.addEventListener('ping', listener);
    target.addEventListener('ping', { handleEvent(event) { log.push(['object', this !== target]); } });
    target.addEventListener('ping', () => log.push(['once']), { once: true });
    const controller = new AbortController();
    target.addEventListener('ping', () => log.push(['until aborted']), { signal: controller.signal });
    const first = new Event('ping', { cancelable: true });
    const result1 = target.dispatchEvent(first);
    controller.abort();
    target.dispatchEvent(new Event('ping'));
    target.removeEventListener('ping', listener);

    const stopper = new EventTarget();
    stopper.addEventListener('x', (e) => { log.push(['a']); e.stopImmediatePropagation(); });
    stopper.addEventListener('x', () => log.push(['never']));
    stopper.dispatchEvent(new Event('x'));

    const canceler = new EventTarget();
    canceler.addEventListener('z', (e) => e.preventDefault());
    const canceled = new Event('z', { cancelable: true });
    const notCancelable = new Event('z');

    const custom = new CustomEvent('c', { detail: { n: 1 } });
    return {
      log,
      result1,
      first: [first.eventPhase, first.currentTarget, first.defaultPrevented, first.isTrusted, first.bubbles, first.composed],
      canceled: [canceler.dispatchEvent(canceled), canceled.defaultPrevented, canceled.returnValue, canceler.dispatchEvent(notCancelable)],
      custom: [custom.detail, custom instanceof Event, new CustomEvent('d').detail],
      constants: [Event.NONE, Event.AT_TARGET, Event.BUBBLING_PHASE],
      noType: (() => { try { new Event(); return 'made'; } catch (e) { return e.name; } })(),
    };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

// Where Node 20 departs from the DOM standard (passive listeners, constants on the prototype, re-dispatch), the standard is the reference.
test('passive listeners cannot cancel, phase constants are on the prototype, and an event in dispatch cannot be re-dispatched', async (t) => {
  const { result, logs } = await inIsolate(
    t,
    `const passive = new EventTarget();
     passive.addEventListener('y', (e) => e.preventDefault(), { passive: true });
     const passiveEvent = new Event('y', { cancelable: true });
     const target = new EventTarget();
     let inner = null;
     target.addEventListener('r', (e) => { try { target.dispatchEvent(e); } catch (error) { inner = [error.name, error instanceof DOMException]; } });
     target.addEventListener('r', () => { throw new Error('a listener failed'); });
     target.addEventListener('r', () => { inner.push('later listeners still run'); });
     target.dispatchEvent(new Event('r'));
     return {
       passive: [passive.dispatchEvent(passiveEvent), passiveEvent.defaultPrevented],
       constants: [new Event('q').CAPTURING_PHASE, new Event('q').AT_TARGET],
       inner,
     };`,
  );
  t.deepEqual(result, { passive: [true, false], constants: [1, 2], inner: ['InvalidStateError', true, 'later listeners still run'] });
  t.true(logs.some((record) => record.level === 'error' && record.message.startsWith('Uncaught Error: a listener failed')));
});

test('AbortController, AbortSignal.abort, any and onabort behave as in Node', async (t) => {
  const body = String.raw`
    const log = [];
    const controller = new AbortController();
    const { signal } = controller;
    signal.onabort = (event) => log.push(['onabort', event.type, event.isTrusted]);
    signal.addEventListener('abort', () => log.push(['listener', signal.aborted]));
    const before = [signal.aborted, signal.reason];
    controller.abort();
    controller.abort('second time is ignored');
    const reason = signal.reason;
    const thrown = (() => { try { signal.throwIfAborted(); } catch (e) { return e === reason; } })();

    const custom = new AbortController();
    custom.abort({ why: 'mine' });

    const a = new AbortController();
    const b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    const anyOfAny = AbortSignal.any([any]);
    any.addEventListener('abort', () => log.push(['any', any.reason]));
    anyOfAny.addEventListener('abort', () => log.push(['anyOfAny', anyOfAny.reason]));
    b.abort('b first');
    a.abort('a later');
    const early = AbortSignal.any([new AbortController().signal, AbortSignal.abort('already')]);
    return {
      log,
      before,
      reason: [reason.name, reason.message, reason instanceof DOMException, reason.code],
      thrown,
      custom: custom.signal.reason,
      aborted: AbortSignal.abort().reason.name,
      abortedWith: AbortSignal.abort(7).reason,
      any: [any.aborted, any.reason, anyOfAny.reason],
      early: [early.aborted, early.reason],
      notSignal: (() => { try { AbortSignal.any([{}]); return 'made'; } catch (e) { return e.name; } })(),
    };`;
  const { result } = await inIsolate(t, body);
  t.deepEqual(result, await inNode(body));
});

test('AbortSignal.timeout aborts with a TimeoutError after its delay, and a fetch-like wait can race it', async (t) => {
  const { result } = await inIsolate(
    t,
    `const started = Date.now();
     const signal = AbortSignal.timeout(40);
     const immediately = signal.aborted;
     const reason = await new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
     const waited = Date.now() - started;
     const raced = await new Promise((resolve, reject) => {
       const s = AbortSignal.timeout(10);
       s.addEventListener('abort', () => reject(s.reason));
       setTimeout(resolve, 1000, 'slow work finished');
     }).catch((e) => e.name);
     return { immediately, name: reason.name, message: reason.message, isDOMException: reason instanceof DOMException, waited, raced,
       badDelay: (() => { try { AbortSignal.timeout(-1); return 'made'; } catch (e) { return e.name; } })() };`,
  );
  const { waited, ...rest } = result as { waited: number };
  t.true(waited >= 35, `the signal aborted after ${waited} ms, before its 40 ms`);
  t.deepEqual(rest, { immediately: false, name: 'TimeoutError', message: 'The operation timed out.', isDOMException: true, raced: 'TimeoutError', badDelay: 'TypeError' });
});
