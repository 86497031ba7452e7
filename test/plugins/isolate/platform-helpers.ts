// Helpers for the platform tests: run a script body inside an isolate (or in Node, to compare) and get its JSON result.
import type { ExecutionContext } from 'ava';
import type { LogRecord } from '../../../core/context.js';
import type { RuntimeOptions } from '../../../core/options.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { deployScript, isolateRuntime, moduleScript } from './helpers.js';

export interface IsolateRun {
  result: unknown;
  runtime: EdgeRuntime;
  logs: LogRecord[];
}

let apps = 0;

/**
 * Runs `body` (the body of an async function, which may use `request`) in a fresh app's isolate and returns what it
 * returned, through JSON. An exception fails the test with its stack.
 */
export async function inIsolate(t: ExecutionContext, body: string, options: RuntimeOptions = {}, request?: (base: string) => Request): Promise<IsolateRun> {
  const runtime = isolateRuntime(t, options);
  const logs: LogRecord[] = [];
  runtime.hooks.log.tap('platform-test', (record) => void logs.push(record));
  const handler = `{ async fetch(request) {
    try { return Response.json(await (async () => { ${body} })()); }
    catch (error) { return new Response(String(error && error.stack || error), { status: 500 }); }
  } }`;
  const base = await deployScript(runtime, `platform-${++apps}`, moduleScript(handler));
  const response = await runtime.fetch(request ? request(base) : new Request(base));
  const text = await response.text();
  if (response.status !== 200) t.fail(`the isolate answered ${response.status}: ${text}`);
  return { result: response.status === 200 ? JSON.parse(text) : undefined, runtime, logs };
}

/** Runs the same body in Node, whose globals follow the standards, for a differential check. */
export async function inNode(body: string): Promise<unknown> {
  const run = new Function('request', `return (async () => { ${body} })();`) as (request?: Request) => Promise<unknown>;
  return JSON.parse(JSON.stringify(await run()));
}
