// `npm run bench:profile -- [contender]`: where a contender of bench/hello.ts spends its main thread under load — a
// V8 CPU profile of the server while autocannon drives it, summarized as the functions with the most self and total time.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    top: { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
  },
});
const contender = positionals[0] ?? 'hangar';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A frame's label: function, file (last two path parts) and line. */
function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
}

/** Self and inclusive time per label, as shares of the samples taken while the load ran. */
function summarize(profile: Profile, from: number, to: number): { self: Map<string, number>; total: Map<string, number>; ms: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let at = 0;
  let ms = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) return;
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    ms += delta;
    const key = label(byId.get(id)!);
    self.set(key, (self.get(key) ?? 0) + delta);
    // A recursive function counts once per sample in its total.
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const name = label(byId.get(node)!);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + delta);
    }
  });
  return { self, total, ms };
}

function top(map: Map<string, number>, ms: number, count: number): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, time]) => `${((100 * time) / ms).toFixed(1).padStart(6)}%  ${name}`)
    .join('\n');
}

const dir = await mkdtemp(join(tmpdir(), 'hangar-profile-'));
const child = fork(new URL('./hello-servers.ts', import.meta.url), [contender], {
  execArgv: ['--no-node-snapshot', '--conditions=hangar-source', '--import=tsx', '--cpu-prof', `--cpu-prof-dir=${dir}`],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const [message] = (await once(child, 'message')) as [{ port: number }];
const started = performance.now();
process.stderr.write(`profiling ${contender} for ${args.duration} s with ${args.connections} connections…\n`);
const result = await autocannon({
  url: `http://127.0.0.1:${message.port}/`,
  connections: Number(args.connections),
  duration: Number(args.duration),
  headers: { host: 'hello.localhost' },
});
const loadMs = [started, performance.now()];
// hello-servers.ts exits on 'stop', so V8 writes the profile.
child.send('stop');
await once(child, 'exit');
const [file] = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`the ${contender} server wrote no profile in ${dir}`);
const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile;
// Profile time starts when the child started; the load window is measured from the first sample on.
const span = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
const window = summarize(profile, span - (performance.now() - loadMs[0]!) * 1000, span - (performance.now() - loadMs[1]!) * 1000);
const count = Number(args.top);
console.log(`${contender}: ${Math.round(result.requests.average).toLocaleString('en-US')} req/s; ${window.ms.toFixed(0)} ms of main-thread samples while loaded\n`);
console.log(`--- self time\n${top(window.self, window.ms, count)}\n\n--- total time\n${top(window.total, window.ms, count * 2)}`);
if (args.keep) console.log(`\nprofile kept: ${join(dir, file)} (open it in Chrome DevTools)`);
else await rm(dir, { recursive: true, force: true });
