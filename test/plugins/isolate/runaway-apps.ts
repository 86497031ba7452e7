// Test helpers for limit and escape tests: an app that burns CPU on demand and counts its requests, and readers.
import type { EdgeRuntime } from '../../../core/runtime.js';
import { moduleScript } from './helpers.js';

export const json = { headers: { accept: 'application/json' } };

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export async function errorOf(response: Response): Promise<ErrorBody['error']> {
  return ((await response.json()) as ErrorBody).error;
}

export async function text(runtime: EdgeRuntime, url: string): Promise<string> {
  return (await runtime.fetch(new Request(url))).text();
}

/**
 * An app that counts its requests in a global (a count that restarts shows the isolate was replaced) and runs
 * `handlers` first, with `path` and `burn(ms)` (burns that much CPU) in scope.
 */
export function countingApp(handlers: string): string {
  return moduleScript(`{
    async fetch(request) {
      function burn(ms) { const end = Date.now() + ms; while (Date.now() < end); }
      globalThis.served = (globalThis.served ?? 0) + 1;
      const path = new URL(request.url).pathname;
      ${handlers}
      return new Response(String(globalThis.served));
    },
  }`);
}
