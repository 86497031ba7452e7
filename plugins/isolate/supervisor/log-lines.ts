// A child's logs: its pino logger writes each line to the parent, which replays it as a record through its `log` hook.
import { pino, type Logger } from 'pino';
import type { LogRecord } from '../../../core/context.js';

const LEVELS: Record<number, LogRecord['level']> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * Every level goes up: the parent's `log` hook sees app console output whatever its logger's level, as it does
 * inline, and the parent's logger filters. No pid, host or time: the parent's logger adds its own.
 */
export function childLogger(write: (line: string) => void): Logger {
  return pino({ level: 'trace', base: undefined, timestamp: false }, { write });
}

/** A child's log line as a record, or undefined for a line that is not one. */
export function toLogRecord(line: string): LogRecord | undefined {
  try {
    const { level, msg, ...fields } = JSON.parse(line) as { level?: number; msg?: unknown } & Record<string, unknown>;
    return { ...fields, level: LEVELS[level ?? 30] ?? 'info', message: typeof msg === 'string' ? msg : '' };
  } catch {
    return undefined;
  }
}
