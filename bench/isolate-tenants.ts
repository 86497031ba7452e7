// Tenant apps for the isolate benches: built deployments (one edge Lambda each, every script distinct) and percentiles.
import { build } from 'esbuild';
import { createDeployment, type Deployment } from '../core/deployment.js';
import { FileBlob } from '../core/files/file-blob.js';
import { createLambda } from '../core/files/lambda.js';

export type AppKind = 'hello' | 'hono';

/** A Hono app, as the edge builder would bundle it: ~20 KB of framework code for the isolate to compile. */
const HONO_APP = `
  import { Hono } from 'hono';
  const app = new Hono();
  app.get('/', (c) => c.text('Hello, world!'));
  app.get('/json/:id', (c) => c.json({ id: c.req.param('id') }));
  export default app;`;

const HELLO_APP = `var __hangar_entry__ = { default: { fetch: () => new Response('Hello, world!', { headers: { 'content-type': 'text/plain; charset=utf-8' } }) } };`;

async function honoBundle(): Promise<string> {
  const result = await build({
    stdin: { contents: HONO_APP, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__hangar_entry__',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    minify: true,
  });
  return result.outputFiles[0]!.text;
}

/**
 * A function from tenant number to its app's script. Each script differs (a leading comment), so no tenant finds
 * another's code in V8's caches: every cold start is of code this process never compiled.
 */
export async function tenantScripts(kind: AppKind): Promise<(tenant: number) => string> {
  const body = kind === 'hono' ? await honoBundle() : HELLO_APP;
  return (tenant) => `/* tenant ${tenant} */\n${body}`;
}

/** A built deployment of one tenant app, served on `<name>.bench`. */
export async function tenantDeployment(name: string, script: string): Promise<Deployment> {
  const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: script }) }, handler: 'index.js', runtime: 'edge' });
  return createDeployment({ app: name, hostnames: [`${name}.bench`], output: { index: lambda }, routes: [{ handle: 'filesystem' }, { src: '/.*', dest: '/index' }], env: {} });
}

export interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1]! };
}

/** A plain-text table, first column left-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
