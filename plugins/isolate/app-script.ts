// The app's script: read once per Lambda, compiled in each new isolate from the code cache of its first compile.
import type ivm from 'isolated-vm';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Lambda } from '../../core/files/lambda.js';
import { fileBytes } from '../../core/files/stream.js';
import { compileCached, type CodeCacheSlot } from './code-cache.js';

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

export async function compileAppScript(isolate: ivm.Isolate, lambda: Lambda, filename: string): Promise<ivm.Script> {
  const found = record(lambda);
  return compileCached(isolate, await found.source, filename, found);
}
