// The app's script: read once per Lambda, compiled in each new isolate from the code cache of its first compile.
import type ivm from 'isolated-vm';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Lambda } from '../../core/files/lambda.js';
import { fileBytes } from '../../core/files/stream.js';
import { compileCached, compileCachedSync, type CodeCacheSlot } from './code-cache.js';

interface ScriptRecord extends CodeCacheSlot {
  source: Promise<string>;
}

/** Keyed by the Lambda object, so a released deployment's scripts go with it. */
const records = new WeakMap<Lambda, ScriptRecord>();

function record(lambda: Lambda): ScriptRecord {
  let found = records.get(lambda);
  if (!found) {
    const file = lambda.files[lambda.handler];
    if (!file) throw new HangarError(ErrorCode.INTERNAL, `edge Lambda: its handler ${JSON.stringify(lambda.handler)} is not one of its files`);
    found = { source: fileBytes(file).then((bytes) => bytes.toString('utf8')) };
    found.source.catch(() => records.delete(lambda));
    records.set(lambda, found);
  }
  return found;
}

/**
 * Up to this size the script is compiled on the calling thread: V8 parses it lazily (or reads it from the code
 * cache) in well under a millisecond, less than a trip to the isolate's own thread costs. A larger bundle is compiled
 * there, so its parse does not hold the host's event loop.
 */
const SYNC_COMPILE_CHARS = 256 * 1024;

/** Compiles the app's script in `isolate`, whose own thread must be idle (a new isolate's). */
export async function compileAppScript(isolate: ivm.Isolate, lambda: Lambda, filename: string): Promise<ivm.Script> {
  const found = record(lambda);
  const source = await found.source;
  return source.length <= SYNC_COMPILE_CHARS ? compileCachedSync(isolate, source, filename, found) : compileCached(isolate, source, filename, found);
}
