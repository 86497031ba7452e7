// `npm run bench`: the same hello-world handler served by plain Express, Hangar through Express, and edge-runtime,
// each loaded by autocannon on loopback in turn; prints req/s, p50 and p99 latency, and each one's ratio to plain Express.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { Contender } from './hello-servers.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '10' },
    warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '3' },
    connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '50' },
    only: { type: 'string', default: process.env.BENCH_ONLY ?? 'express,hangar,edge-runtime' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '1' },
  },
});
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const contenders = args.only.split(',') as Contender[];
/** Rounds alternate the contenders, so load from elsewhere on the machine spreads over all; each row is its median round. */
const rounds = Number(args.rounds);

const LABELS: Record<Contender, string> = {
  express: 'plain Express',
  hangar: 'Hangar via Express',
  'edge-runtime': 'edge-runtime runServer',
  'hangar-process': 'Hangar via Express, process mode',
  miniflare: 'Miniflare 3 (workerd)',
};
/** Hangar routes by hostname; the others ignore it. */
const HOST = 'hello.localhost';
const EXPECTED = 'Hello, world!';

interface Figures {
  name: Contender;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

/** Starts a contender in its own process (so it does not share the load generator's thread), with its port. */
async function startContender(name: Contender): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./hello-servers.ts', import.meta.url), [name], {
    execArgv: ['--no-node-snapshot', '--conditions=hangar-source', '--import=tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [{ port: number } | undefined];
  if (!message) throw new Error(`the ${name} server exited before it listened`);
  return { child, port: message.port };
}

/** One GET with the bench's Host header, so a contender that answers the wrong thing is caught before it is timed. */
function body(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', headers: { host: HOST }, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

async function measure(name: Contender): Promise<Figures> {
  const { child, port } = await startContender(name);
  try {
    const answer = await body(port);
    if (answer !== EXPECTED) throw new Error(`${LABELS[name]} answered ${JSON.stringify(answer)} instead of ${JSON.stringify(EXPECTED)}`);
    const url = `http://127.0.0.1:${port}/`;
    const run = (seconds: number) => autocannon({ url, connections, duration: seconds, headers: { host: HOST } });
    process.stderr.write(`${LABELS[name]}: warming up for ${warmup} s, then measuring for ${duration} s with ${connections} connections\n`);
    if (warmup > 0) await run(warmup);
    const result = await run(duration);
    return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, failures: result.errors + result.timeouts + result.non2xx };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

function table(rows: Figures[]): string {
  const base = rows.find((row) => row.name === 'express');
  const ratio = (value: number, of: number | undefined) => (of ? `${(value / of).toFixed(2)}×` : 'n/a');
  const cells = [
    ['server', 'req/s', 'p50 ms', 'p99 ms', 'req/s ÷ Express', 'req/s ÷ edge-runtime', 'p50 ÷ Express', 'p99 ÷ Express', 'failed'],
    ...rows.map((row) => [
      LABELS[row.name],
      Math.round(row.rps).toLocaleString('en-US'),
      String(row.p50),
      String(row.p99),
      ratio(row.rps, base?.rps),
      ratio(row.rps, rows.find((other) => other.name === 'edge-runtime')?.rps),
      ratio(row.p50, base?.p50),
      ratio(row.p99, base?.p99),
      String(row.failures),
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

for (const name of contenders) {
  if (!(name in LABELS)) throw new Error(`unknown contender ${JSON.stringify(name)}; choose from ${Object.keys(LABELS).join(', ')}`);
}
const loadBefore = loadavg()[0]!;
const runs = new Map<Contender, Figures[]>(contenders.map((name) => [name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const name of contenders) {
    process.stderr.write(rounds > 1 ? `round ${round}/${rounds}: ` : '');
    runs.get(name)!.push(await measure(name));
  }
}
const median = (figures: Figures[]) => [...figures].sort((a, b) => a.rps - b.rps)[Math.floor(figures.length / 2)]!;
const rows = contenders.map((name) => median(runs.get(name)!));
console.log(`\nhello world, GET / on loopback: Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model.trim()}, ` +
  `autocannon ${connections} connections, ${duration} s each after ${warmup} s of warm-up, ` +
  `${rounds > 1 ? `median of ${rounds} rounds` : 'one round'}; 1-min load average ${loadBefore.toFixed(2)} before, ` +
  `${loadavg()[0]!.toFixed(2)} after (other work on the machine skews every row)\n`);
console.log(table(rows));
