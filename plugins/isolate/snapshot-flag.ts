// Where isolates may run: in this process only when Node has --no-node-snapshot (isolated-vm needs it on Node 20+).
import type { ExecutorOptions } from '../../core/options.js';

export const NO_NODE_SNAPSHOT = '--no-node-snapshot';

export function hasNoNodeSnapshot(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return execArgv.includes(NO_NODE_SNAPSHOT) || nodeOptions.split(/\s+/).includes(NO_NODE_SNAPSHOT);
}

export const SNAPSHOT_WARNING =
  `Node was started without ${NO_NODE_SNAPSHOT}, which isolated-vm needs on Node 20 and later to run isolates in this process ` +
  `(without it, it may crash the process): isolates run in supervised child processes instead, executor mode "process". ` +
  `To run them in this process, start Node with "node ${NO_NODE_SNAPSHOT} …", or set NODE_OPTIONS=${NO_NODE_SNAPSHOT}.`;

export type ExecutorMode = NonNullable<ExecutorOptions['mode']>;

/**
 * The mode asked for, else the default: inline, the faster (see docs/executor-modes.md). Inline without the flag
 * is never chosen, even when asked for: the children of process mode always get the flag.
 */
export function executorMode(asked: ExecutorMode | undefined, flag = hasNoNodeSnapshot()): { mode: ExecutorMode; warning?: string } {
  if (asked === 'process') return { mode: 'process' };
  if (flag) return { mode: 'inline' };
  return { mode: 'process', warning: SNAPSHOT_WARNING };
}
