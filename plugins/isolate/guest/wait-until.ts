// waitUntil: counts one request's pending background promises and tells the host, which keeps the request alive.
import type { HostBridge } from '../protocol.js';
import { describe } from './console.js';

// Taken before app code runs: an app that replaces Promise.prototype.then cannot stop the count going down.
const then = Promise.prototype.then;
const resolve = Promise.resolve.bind(Promise);
const apply = Reflect.apply;

/** The waitUntil of request `seq`, shared by its ctx and its FetchEvent. */
export function createWaitUntil(bridge: HostBridge, seq: number): (promise: unknown) => void {
  let pending = 0;
  const settled = () => {
    pending--;
    bridge.waitUntil(seq, pending);
  };
  return (promise) => {
    pending++;
    bridge.waitUntil(seq, pending);
    apply(then, resolve(promise), [
      settled,
      (error: unknown) => {
        bridge.log('error', `Uncaught (in waitUntil) ${describe(error)}`);
        settled();
      },
    ]);
  };
}
