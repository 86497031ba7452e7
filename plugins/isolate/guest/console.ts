// console: formats its arguments inside the isolate and hands one line per call to the host logger.
import type { GuestLogLevel, HostBridge } from '../protocol.js';

const MAX_DEPTH = 3;
const MAX_ITEMS = 50;

/** A readable rendering of any value; it never throws, whatever the app's objects do. */
export function describe(value: unknown, depth = 0, seen = new Set<unknown>()): string {
  try {
    switch (typeof value) {
      case 'string':
        return depth === 0 ? value : JSON.stringify(value);
      case 'function':
        return `[Function ${value.name || '(anonymous)'}]`;
      case 'symbol':
      case 'bigint':
        return typeof value === 'bigint' ? `${value}n` : value.toString();
      case 'object':
        break;
      default:
        return String(value);
    }
    if (value === null) return 'null';
    if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
    if (seen.has(value)) return '[Circular]';
    if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
    seen.add(value);
    try {
      if (Array.isArray(value)) {
        const items = value.slice(0, MAX_ITEMS).map((item) => describe(item, depth + 1, seen));
        if (value.length > MAX_ITEMS) items.push(`... ${value.length - MAX_ITEMS} more`);
        return `[ ${items.join(', ')} ]`;
      }
      if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength})`;
      const keys = Object.keys(value);
      const fields = keys.slice(0, MAX_ITEMS).map((key) => `${key}: ${describe((value as Record<string, unknown>)[key], depth + 1, seen)}`);
      if (keys.length > MAX_ITEMS) fields.push(`... ${keys.length - MAX_ITEMS} more`);
      const tag = Object.prototype.toString.call(value).slice(8, -1);
      const prefix = tag === 'Object' ? '' : `${tag} `;
      return fields.length ? `${prefix}{ ${fields.join(', ')} }` : `${prefix}{}`;
    } finally {
      seen.delete(value);
    }
  } catch {
    return '[unprintable]';
  }
}

export function format(args: unknown[]): string {
  return args.map((arg) => describe(arg)).join(' ');
}

export function createConsole(bridge: HostBridge): Console {
  // console.group indents the lines that follow, as in a browser's console.
  let indent = '';
  const emit = (level: GuestLogLevel) => (...args: unknown[]) => bridge.log(level, indent + format(args));
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  const methods = {
    log: emit('info'),
    info: emit('info'),
    debug: emit('debug'),
    trace: emit('trace'),
    warn: emit('warn'),
    error: emit('error'),
    dir: (item: unknown) => bridge.log('info', indent + describe(item, 1)),
    dirxml: emit('info'),
    table: emit('info'),
    group: (...args: unknown[]) => {
      if (args.length) bridge.log('info', indent + format(args));
      indent += '  ';
    },
    groupCollapsed: (...args: unknown[]) => methods.group(...args),
    groupEnd: () => void (indent = indent.slice(2)),
    assert: (condition: unknown, ...args: unknown[]) => {
      if (!condition) bridge.log('error', format(['Assertion failed', ...args]));
    },
    count: (label = 'default') => {
      const count = (counts.get(label) ?? 0) + 1;
      counts.set(label, count);
      bridge.log('info', `${label}: ${count}`);
    },
    countReset: (label = 'default') => void counts.delete(label),
    time: (label = 'default') => void timers.set(label, Date.now()),
    timeEnd: (label = 'default') => {
      const start = timers.get(label);
      timers.delete(label);
      if (start !== undefined) bridge.log('info', `${label}: ${Date.now() - start}ms`);
    },
    timeLog: (label = 'default', ...args: unknown[]) => {
      const start = timers.get(label);
      if (start !== undefined) bridge.log('info', format([`${label}: ${Date.now() - start}ms`, ...args]));
    },
  };
  return methods as unknown as Console;
}
