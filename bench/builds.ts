// Build benchmarks: a no-change redeploy of a 50-file app (goal ≤ 20 ms) and bundling a 50-file TypeScript app
// with the edge builder (goal ≤ 300 ms). Run: node --no-node-snapshot --conditions=hangar-source --import tsx bench/builds.ts
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { EdgeRuntime } from '../core/runtime.js';
import { BuildersPlugin } from '../plugins/builders/index.js';
import { CachePlugin } from '../plugins/cache/index.js';
import { LayersPlugin } from '../plugins/layers/index.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: process.env.BENCH_RUNS ?? '30' } } });
const runs = Number(args.runs);

/** A TypeScript app: index.ts importing `modules` modules that import each other, plus `statics` public files. */
async function writeApp(dir: string, modules: number, statics: number): Promise<void> {
  const files: Record<string, string> = {};
  for (let i = 0; i < modules; i++) {
    const next = i + 1 < modules ? `import { value${i + 1} } from './value${i + 1}';\n` : '';
    const dep = i + 1 < modules ? ` + value${i + 1}.n` : '';
    files[`lib/value${i}.ts`] = `${next}export interface Value${i} { n: number; label: string }\nexport const value${i}: Value${i} = { n: ${i}${dep}, label: 'v${i}' };\n`;
  }
  files['index.ts'] = `import { value0 } from './lib/value0';\nexport default { fetch: (): Response => new Response(String(value0.n)) };\n`;
  for (let i = 0; i < statics; i++) files[`public/page${i}.html`] = `<h1>page ${i}</h1>\n`;
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

function runtime(): EdgeRuntime {
  return new EdgeRuntime({ logger: { level: 'silent' } }).use(new CachePlugin()).use(new LayersPlugin()).use(new BuildersPlugin());
}

function stats(samples: number[]): { p50: number; p90: number; min: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)]!, p90: sorted[Math.floor(sorted.length * 0.9)]!, min: sorted[0]! };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function report(name: string, goal: number, samples: number[], extra = ''): boolean {
  const { p50, p90, min } = stats(samples);
  const ok = p50 <= goal;
  console.log(`${name.padEnd(46)} p50 ${p50.toFixed(1).padStart(6)} ms  p90 ${p90.toFixed(1).padStart(6)} ms  min ${min.toFixed(1).padStart(6)} ms  goal ≤ ${goal} ms  ${ok ? 'OK' : 'OVER'}${extra}`);
  return ok;
}

const root = await mkdtemp(join(tmpdir(), 'hangar-bench-builds-'));
try {
  // 1. No-change redeploy: 30 TS modules + index.ts + 19 public files = 50 files; every job is a build cache hit.
  const app = join(root, 'fifty');
  await writeApp(app, 30, 19);
  const rt = runtime();
  const cold = await time(() => rt.deploy(app));
  let builds = 0;
  rt.hooks.afterBuild.tap('bench', (_job, outcome) => void (outcome.cached || builds++));
  const redeploysOf = async () => {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await time(() => rt.deploy(app)));
    return samples;
  };
  // Files changed in the last 2 s are read again on every deploy (their timestamps cannot yet tell a change apart).
  const fresh = await redeploysOf();
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const settled = await redeploysOf();
  await rt.close();
  const a = report('redeploy, no change, 50-file app', 20, settled, `  (first deploy ${cold.toFixed(0)} ms; builds run on redeploys: ${builds})`);
  report('  the same, files written < 2 s before', 20, fresh);

  // 2. Bundling a 50-file TypeScript app with the edge builder: a fresh runtime each time, so the build cache misses.
  const ts = join(root, 'ts50');
  await writeApp(ts, 49, 0);
  const bundles: number[] = [];
  let first = 0;
  for (let i = 0; i < Math.max(5, Math.floor(runs / 3)); i++) {
    const fresh = runtime();
    let buildMs = 0;
    let started = 0;
    fresh.hooks.beforeBuild.tap('bench', () => void (started = performance.now()));
    fresh.hooks.afterBuild.tap('bench', () => void (buildMs = performance.now() - started));
    await fresh.deploy(ts);
    await fresh.close();
    if (i === 0) first = buildMs;
    else bundles.push(buildMs);
  }
  const b = report('edge build of a 50-file TypeScript app', 300, bundles, `  (first, with esbuild start-up: ${first.toFixed(0)} ms)`);
  process.exitCode = a && b ? 0 : 1;
} finally {
  await rm(root, { recursive: true, force: true });
}
