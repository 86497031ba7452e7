// `node --no-node-snapshot --import tsx bench/isolate-copy.ts`: what isolated-vm's copy costs for a batch of 32 entries in and 32 host calls out, nested against flat (the layout protocol.ts chose).
import ivm from 'isolated-vm';

const CALLS = 32;
const ITERATIONS = 20_000;
const VALUE = 'v'.repeat(100);

const isolate = new ivm.Isolate({ memoryLimit: 128 });
const context = isolate.createContextSync();
const take = context.evalSync(`(function (batch) { globalThis.batch = batch; })`, { reference: true }) as ivm.Reference;
/** Answers 32 cache calls as the outbox would hold them: one message array each, or all in one flat array. */
const outbox = context.evalSync(
  `(function (flat) {
    const value = ${JSON.stringify(VALUE)};
    const slots = [];
    for (let i = 0; i < ${CALLS}; i++) {
      if (flat) slots.push('call', i, 'callBinding', 4, 0, 'set', 'k' + i, value);
      else slots.push(['call', i, 'callBinding', [0, 'set', ['k' + i, value]]]);
    }
    return slots;
  })`,
  { reference: true },
) as ivm.Reference;

const nestedBatch: unknown[] = [];
const flatBatch: unknown[] = [];
for (let i = 0; i < CALLS; i++) {
  nestedBatch.push('settle', [i, { ok: true, value: true }]);
  flatBatch.push('settle', i, true);
}

/** Microseconds per call of `run`, after a warm-up. */
function time(run: () => void): number {
  for (let i = 0; i < ITERATIONS / 10; i++) run();
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) run();
  return ((performance.now() - started) * 1000) / ITERATIONS;
}

const rows: Array<[string, number]> = [
  ['in: 32 settles, nested', time(() => take.applySync(undefined, [nestedBatch], { arguments: { copy: true } }))],
  ['in: 32 settles, flat', time(() => take.applySync(undefined, [flatBatch], { arguments: { copy: true } }))],
  ['out: 32 calls, nested', time(() => outbox.applySync(undefined, [false], { result: { copy: true } }))],
  ['out: 32 calls, flat', time(() => outbox.applySync(undefined, [true], { result: { copy: true } }))],
  ['an empty call, for scale', time(() => take.applySync(undefined, [[]], { arguments: { copy: true } }))],
];
console.log(`\nisolated-vm copies, µs per call (${ITERATIONS.toLocaleString('en-US')} calls each; the "out" rows include building the messages):\n`);
for (const [name, us] of rows) console.log(`${name.padEnd(26)} ${us.toFixed(2).padStart(7)}`);
isolate.dispose();
