import { createRuntime } from '../core/create-runtime.js';
import type { Executor } from '../core/executor.js';
import { tenantDeployment, tenantScripts } from './isolate-tenants.js';
const HELLO = 'Hello, world!';
const hostExecutor: Executor = { runtime: 'bench-host', dispatch: async () => new Response(HELLO), release: async () => undefined, close: async () => undefined };
const runtime = await createRuntime({ logger: { level: 'silent' }, executor: { mode: 'inline', spareIsolates: 0, ...(process.env.ST === '0' ? { sameThread: false } : {}) } });
runtime.hooks.executor.tap('bench:host', (lambda) => (lambda.runtime === 'bench-host' ? hostExecutor : undefined));
const script = await tenantScripts('hello');
await runtime.activate(await tenantDeployment('isolate', script(0)));
const host = await tenantDeployment('host', script(1));
(host.output.index as { runtime: string }).runtime = 'bench-host';
await runtime.activate(host);
async function run(url: string, n: number) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) { const r = await runtime.fetch(new Request(url)); await r.arrayBuffer(); }
  const c = process.cpuUsage(c0); const t = performance.now() - t0;
  return { cpuUs: (c.user + c.system) / n, wallUs: (t * 1000) / n };
}
for (let k = 0; k < 3; k++) { await run('http://isolate.bench/', 5000); await run('http://host.bench/', 5000); }
for (let k = 0; k < 3; k++) console.log('isolate', await run('http://isolate.bench/', 20000), 'host', await run('http://host.bench/', 20000));
await runtime.close();
