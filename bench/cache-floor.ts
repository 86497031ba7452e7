// The isolate floor for bench/cache.ts: node-redis alone, driven from a bare isolated-vm isolate by the least bridge an isolate cache can have.
import { createClient } from '@keyv/redis';
import ivm from 'isolated-vm';

/** One run of the bench: `ops` ops of one kind, `concurrency` at a time, sets with a TTL in seconds when `ttl` is set. */
export interface FloorWorkload {
  op: 'set' | 'get';
  concurrency: number;
  ttl?: number;
}

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
 * The least an isolate cache over node-redis does per op: the host settles a turn's answers in one call into the
 * isolate, and takes the calls they lead to in one call out, as Hangar's bridge does; no tenant keys, no limits, no
 * validation, no store guard, no layer. What an op costs here above node-redis alone is the isolate boundary itself.
 */
export async function isolateFloor(url: string, prefix: string, ops: number, value: string): Promise<{ run(workload: FloorWorkload): Promise<number>; close(): Promise<void> }> {
  const client = createClient({ url });
  await client.connect();
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const context = isolate.createContextSync();
  context.evalSync(GUEST);
  const settle = context.global.getSync('settle', { reference: true }) as ivm.Reference;
  const drain = context.global.getSync('drain', { reference: true }) as ivm.Reference;
  const run = context.global.getSync('run', { reference: true }) as ivm.Reference;
  // keyv's entry format, as the node-redis contender writes it.
  const entry = JSON.stringify({ value, expires: null });

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
  const take = () => {
    const calls = drain.applySync(undefined, [], { result: { copy: true }, timeout: TIMEOUT_MS }) as unknown[];
    for (let i = 0; i < calls.length; i += 5) {
      if (calls[i + 1] === 'done') finished?.(calls[i + 2] as number);
      else start(calls[i] as number, calls[i + 1] as string, `${prefix}${calls[i + 2] as string}`, calls[i + 4] as number);
    }
  };
  const start = (id: number, op: string, key: string, ttl: number) => {
    const reply =
      op === 'get'
        ? client.get(key)
        : ttl
          ? client.set(key, JSON.stringify({ value, expires: Date.now() + ttl * 1000 }), { PX: ttl * 1000 })
          : client.set(key, entry);
    reply.then(
      (result) => answer(id, result),
      () => answer(id, null),
    );
  };

  return {
    run: ({ op, concurrency, ttl }) =>
      new Promise<number>((resolve) => {
        finished = resolve;
        run.applySync(undefined, [op, ops, concurrency, ttl ?? 0, value], { timeout: TIMEOUT_MS });
        take();
      }),
    async close() {
      await client.close();
      isolate.dispose();
    },
  };
}
