// How an executor child process is started: always with --no-node-snapshot, and through tsx when Hangar runs from source.
import { fileURLToPath } from 'node:url';
import { NO_NODE_SNAPSHOT } from '../snapshot-flag.js';

export interface ChildCommand {
  entry: string;
  execArgv: string[];
}

/**
 * Like the `hangar` bin (adapters/bin.js): from a checkout this module is TypeScript, so the child runs the
 * TypeScript entry through tsx with the `hangar-source` condition; from dist it runs the compiled entry.
 * HANGAR_EXECUTOR_EXEC_ARGV adds flags of the operator's (`--cpu-prof`, say, which NODE_OPTIONS refuses).
 */
export function childCommand(extra = process.env.HANGAR_EXECUTOR_EXEC_ARGV ?? ''): ChildCommand {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSource ? './child.ts' : './child.js', import.meta.url));
  const source = fromSource ? ['--conditions=hangar-source', `--import=${import.meta.resolve('tsx')}`] : [];
  return { entry, execArgv: [NO_NODE_SNAPSHOT, ...source, ...extra.split(/\s+/).filter(Boolean)] };
}
