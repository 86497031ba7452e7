// `npm run bench:isolate:cold`: cold start of never-seen tenants whose deployment is built, p50/p99, per executor setup.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createRuntime } from '../core/create-runtime.js';
import type { ExecutorOptions } from '../core/options.js';
import { sleep, summarize, table, tenantDeployment, tenantScripts, type AppKind, type Summary } from './isolate-tenants.js';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '200' },
    apps: { type: 'string', default: 'hello,hono' },
    /** Pause between two cold starts in the paced runs, ms: time for the spare isolates to be made again. */
    gap: { type: 'string', default: '25' },
    only: { type: 'string', default: '' },
  },
});
const tenants = Number(args.tenants);
const gapMs = Number(args.gap);

interface Setup {
  label: string;
  executor: ExecutorOptions;
  gapMs: number;
}

const SETUPS: Setup[] = [
  { label: 'inline, 2 spares, paced', executor: { mode: 'inline', spareIsolates: 2 }, gapMs },
  { label: 'inline, 2 spares, back-to-back', executor: { mode: 'inline', spareIsolates: 2 }, gapMs: 0 },
  { label: 'inline, no spares', executor: { mode: 'inline', spareIsolates: 0 }, gapMs: 0 },
  { label: 'process, 2 spares, paced', executor: { mode: 'process', spareIsolates: 2 }, gapMs },
  { label: 'process, no spares', executor: { mode: 'process', spareIsolates: 0 }, gapMs: 0 },
];

/** Deploys `tenants` never-seen apps, then times each one's first request, from runtime.fetch to the last body byte. */
async function measure(setup: Setup, kind: AppKind, run: number): Promise<Summary> {
  const runtime = await createRuntime({ logger: { level: 'silent' }, executor: setup.executor });
  try {
    const script = await tenantScripts(kind);
    const names = Array.from({ length: tenants }, (_, i) => `cold-${run}-${i}`);
    for (const [i, name] of names.entries()) await runtime.activate(await tenantDeployment(name, script(run * 100_000 + i)));
    // Let the spares be made, as they would be on a server that has been up for a while.
    await sleep(300);
    const samples: number[] = [];
    for (const name of names) {
      const started = performance.now();
      const response = await runtime.fetch(new Request(`http://${name}.bench/`));
      const text = await response.text();
      samples.push(performance.now() - started);
      if (response.status !== 200 || text !== 'Hello, world!') throw new Error(`${name} answered ${response.status}: ${text.slice(0, 200)}`);
      if (setup.gapMs) await sleep(setup.gapMs);
    }
    return summarize(samples);
  } finally {
    await runtime.close();
  }
}

const rows = [['setup', 'app', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p50 ÷ 3 ms goal', 'p99 ÷ 10 ms goal']];
let run = 0;
for (const setup of SETUPS.filter((s) => !args.only || args.only.split(',').some((word) => s.label.includes(word)))) {
  for (const kind of args.apps.split(',') as AppKind[]) {
    process.stderr.write(`${setup.label}, ${kind}: ${tenants} cold starts\n`);
    const s = await measure(setup, kind, run++);
    rows.push([setup.label, kind, s.p50.toFixed(2), s.p90.toFixed(2), s.p99.toFixed(2), s.max.toFixed(2), `${(s.p50 / 3).toFixed(2)}×`, `${(s.p99 / 10).toFixed(2)}×`]);
  }
}
console.log(
  `\ncold start of a never-seen tenant (deployment built): runtime.fetch → last body byte, ${tenants} tenants per row; ` +
    `paced = ${gapMs} ms between cold starts. Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model.trim()}, ` +
    `load average ${loadavg()[0]!.toFixed(2)}\n`,
);
console.log(table(rows));
