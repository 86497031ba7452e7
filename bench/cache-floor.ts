// The isolate floor for bench/cache.ts: a store call driven from a bare isolated-vm isolate by the least bridge an isolate cache can have.
import ivm from 'isolated-vm';

/** One store op as the host runs it: node-redis alone's (bench/cache.ts); its answer is the op's result. */
export type StoreCall = (op: 'set' | 'get', key: string, ttl: number) => Promise<unknown>;

/**
 * The guest: each op is a promise settled by id, its call pushed to an outbox. The app loop is bench/cache.ts's APP,
 * so the two isolates run the same code above the binding.
 */
const GUEST = `
  const pending = new Map();
  let outbox = [];
  let nextId = 1;
  const call = (op, key, value, ttl) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    outbox.push(id, op, key, value, ttl);
  });
  globalThis.settle = (answers) => {
    for (let i = 0; i < answers.length; i += 2) {
      const resolve = pending.get(answers[i]);
      pending.delete(answers[i]);
      resolve(answers[i + 1]);
    }
  };
  globalThis.drain = () => {
    const taken = outbox;
    outbox = [];
    return taken;
  };
  const loop = async (op, ops, concurrency, ttl, value) => {
    let hits = 0;
    for (let i = 0; i < ops; i += concurrency) {
      const batch = [];
      for (let j = i; j < Math.min(ops, i + concurrency); j++) batch.push(call(op, 'k' + (j % 1000), op === 'set' ? value : null, ttl));
      for (const result of await Promise.all(batch)) if (result) hits++;
    }
    outbox.push(0, 'done', hits, null, 0);
  };
  globalThis.run = (op, ops, concurrency, ttl, value) => {
    loop(op, ops, concurrency, ttl, value);
  };
`;

/** A guard as Hangar's batches have (the bench's CPU limit): a real bridge cannot call into an isolate without one. */
const TIMEOUT_MS = 120_000;

/**
 * The least an isolate cache does per op: the host settles a turn's answers in one call into the isolate, and takes
 * the calls they lead to in one call out, as Hangar's bridge does; no tenant keys, no limits, no validation, no store
 * guard, no layer. What an op costs here above `call` alone is the isolate boundary itself.
 */
export function isolateFloor(call: StoreCall, ops: number, value: string): { run(op: 'set' | 'get', concurrency: number, ttl?: number): Promise<number>; close(): void } {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const context = isolate.createContextSync();
  context.evalSync(GUEST);
  const settle = context.global.getSync('settle', { reference: true }) as ivm.Reference;
  const drain = context.global.getSync('drain', { reference: true }) as ivm.Reference;
  const run = context.global.getSync('run', { reference: true }) as ivm.Reference;

  let answers: unknown[] = [];
  let flushing = false;
  let finished: ((hits: number) => void) | undefined;

  // After the microtasks of the Redis reply that settled them, so one reply's answers go in together.
  const answer = (id: number, result: unknown) => {
    answers.push(id, result);
    if (flushing) return;
    flushing = true;
    process.nextTick(flush);
  };
  const flush = () => {
    flushing = false;
    const batch = answers;
    answers = [];
    settle.applySync(undefined, [batch], { arguments: { copy: true }, timeout: TIMEOUT_MS });
    take();
  };
  // Each call is [id, op, key, value, ttl]. The value crosses as an app's would; the store call writes the bench's
  // entry, as node-redis alone does.
  const take = () => {
    const calls = drain.applySync(undefined, [], { result: { copy: true }, timeout: TIMEOUT_MS }) as unknown[];
    for (let i = 0; i < calls.length; i += 5) {
      const id = calls[i] as number;
      if (calls[i + 1] === 'done') finished?.(calls[i + 2] as number);
      else call(calls[i + 1] as 'set' | 'get', calls[i + 2] as string, calls[i + 4] as number).then((result) => answer(id, result), () => answer(id, null));
    }
  };

  return {
    run: (op, concurrency, ttl) =>
      new Promise<number>((resolve) => {
        finished = resolve;
        run.applySync(undefined, [op, ops, concurrency, ttl ?? 0, value], { timeout: TIMEOUT_MS });
        take();
      }),
    close: () => isolate.dispose(),
  };
}
