// App stack traces for the host log: frames in the app's bundle, mapped to its sources by the Lambda's source map.
import { SourceMap } from 'node:module';
import { posix } from 'node:path';
import type { Lambda } from '../../core/files/lambda.js';
import { fileBytes } from '../../core/files/stream.js';

/** Loaded on the first exception a Lambda logs, and kept with the Lambda. */
const maps = new WeakMap<Lambda, Promise<SourceMap | null>>();
const MAPPING_URL = /\/\/# sourceMappingURL=(\S+)\s*$/;

/** The map the handler's sourceMappingURL names (the edge builder writes `index.js.map`), if the Lambda carries it. */
async function loadMap(lambda: Lambda): Promise<SourceMap | null> {
  const handler = lambda.files[lambda.handler];
  if (!handler) return null;
  const tail = (await fileBytes(handler)).subarray(-1024).toString('utf8');
  const url = MAPPING_URL.exec(tail)?.[1];
  if (!url || url.startsWith('data:') || url.includes('://')) return null;
  const file = lambda.files[posix.join(posix.dirname(lambda.handler), url)];
  if (!file) return null;
  return new SourceMap(JSON.parse((await fileBytes(file)).toString('utf8')));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites each `<filename>:line:column` of the stack to the original source, as `<app origin>/<source>:line:column`.
 * A stack with no map, or frames the map does not cover, is returned as it was.
 */
export async function mapStack(lambda: Lambda, filename: string, stack: string): Promise<string> {
  if (!stack.includes(filename)) return stack;
  let map = maps.get(lambda);
  if (!map) maps.set(lambda, (map = loadMap(lambda).catch(() => null)));
  const sourceMap = await map;
  if (!sourceMap) return stack;
  const base = filename.slice(0, filename.lastIndexOf('/') + 1);
  return stack.replace(new RegExp(`${escapeRegExp(filename)}:(\\d+):(\\d+)`, 'g'), (frame, line: string, column: string) => {
    const origin = sourceMap.findOrigin(Number(line), Number(column)) as { fileName?: string; lineNumber?: number; columnNumber?: number };
    if (!origin.fileName) return frame;
    return `${base}${posix.normalize(origin.fileName)}:${origin.lineNumber}:${origin.columnNumber}`;
  });
}
