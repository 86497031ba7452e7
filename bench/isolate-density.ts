// `npm run bench:isolate:density`: 1,000 tenant apps, each answered once, resident: total RSS and MiB per tenant.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createRuntime } from '../core/create-runtime.js';
import type { ExecutorOptions } from '../core/options.js';
import { sleep, table, tenantDeployment, tenantScripts, type AppKind } from './isolate-tenants.js';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    apps: { type: 'string', default: 'hello' },
    modes: { type: 'string', default: 'inline,process' },
    /** Internal: run one measurement in this process and report it to the parent. */
    measure: { type: 'string' },
  },
});
const tenants = Number(args.tenants);
const GOAL_MIB = 2048;
const MiB = 1024 * 1024;

interface Figures {
  label: string;
  baselineMib: number;
  totalMib: number;
  processes: number;
}

/** RSS of a process, from /proc (children included by the caller: in process mode the isolates live there). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** This process and every process it forked. */
function treeRss(): { bytes: number; processes: number } {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(process.pid);
      } catch {
        return false;
      }
    })
    .map(Number);
  return { bytes: [process.pid, ...children].reduce((sum, pid) => sum + rssOf(pid), 0), processes: 1 + children.length };
}

async function measure(executor: ExecutorOptions, kind: AppKind): Promise<Figures> {
  const runtime = await createRuntime({ logger: { level: 'silent' }, executor, limits: { maxIsolates: tenants + 100 } });
  const script = await tenantScripts(kind);
  // One tenant answers first, so the baseline has the executor (and its processes) warm, spares made.
  await runtime.activate(await tenantDeployment('density-warm', script(-1)));
  await (await runtime.fetch(new Request('http://density-warm.bench/'))).text();
  await sleep(1000);
  const baseline = treeRss().bytes;
  const names = Array.from({ length: tenants }, (_, i) => `density-${i}`);
  for (const [i, name] of names.entries()) await runtime.activate(await tenantDeployment(name, script(i)));
  // A few at a time, as traffic would come.
  for (let at = 0; at < names.length; at += 8) {
    await Promise.all(
      names.slice(at, at + 8).map(async (name) => {
        const response = await runtime.fetch(new Request(`http://${name}.bench/`));
        if ((await response.text()) !== 'Hello, world!') throw new Error(`${name} answered ${response.status}`);
      }),
    );
  }
  await sleep(2000);
  const after = treeRss();
  await runtime.close();
  return { label: `${executor.mode}, ${kind}`, baselineMib: baseline / MiB, totalMib: after.bytes / MiB, processes: after.processes };
}

if (args.measure) {
  const [mode, kind] = args.measure.split(':') as ['inline' | 'process', AppKind];
  process.send!(await measure({ mode }, kind));
  process.exit(0);
}

// Each measurement in a fresh process, so one does not inherit another's heap.
const rows = [['mode, app', 'processes', 'RSS before MiB', `RSS with ${tenants} MiB`, 'MiB per tenant', `total ÷ ${GOAL_MIB} MiB goal`]];
for (const mode of args.modes.split(',')) {
  for (const kind of args.apps.split(',')) {
    process.stderr.write(`${mode}, ${kind}: ${tenants} tenants, each answering once\n`);
    const child = fork(new URL(import.meta.url), ['--measure', `${mode}:${kind}`, '--tenants', String(tenants)], {
      execArgv: ['--no-node-snapshot', '--conditions=hangar-source', '--import=tsx'],
    });
    const [figures] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [Figures | undefined];
    if (!figures) throw new Error(`the ${mode} measurement exited without figures`);
    await once(child, 'exit');
    const perTenant = (figures.totalMib - figures.baselineMib) / tenants;
    rows.push([figures.label, String(figures.processes), figures.baselineMib.toFixed(0), figures.totalMib.toFixed(0), perTenant.toFixed(2), `${(figures.totalMib / GOAL_MIB).toFixed(2)}×`]);
  }
}
console.log(
  `\ndensity: ${tenants} tenant apps (distinct scripts), each answered once, RSS of the server and its executor processes ` +
    `after 2 s. Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model.trim()}, load average ${loadavg()[0]!.toFixed(2)}\n`,
);
console.log(table(rows));
