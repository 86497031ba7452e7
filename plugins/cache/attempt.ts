// Runs a function that answers a promise, turning a synchronous throw into that promise's rejection.

/**
 * `run()`'s promise, or a rejection with what it threw, as an async function would answer, without the microtask
 * turns an async function adds to every cache op by answering a promise with a promise.
 */
export function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}
