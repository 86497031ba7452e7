// Compiles a script in an isolate from V8's code cache, producing the cache on the first compile.
import ivm from 'isolated-vm';

/** Where one script's code cache is kept between isolates. */
export interface CodeCacheSlot {
  cache?: ivm.ExternalCopy<ArrayBuffer>;
}

type CompiledScript = ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };

export async function compileCached(isolate: ivm.Isolate, code: string, filename: string, slot: CodeCacheSlot): Promise<ivm.Script> {
  if (slot.cache) {
    const script = (await isolate.compileScript(code, { filename, cachedData: slot.cache })) as CompiledScript;
    if (!script.cachedDataRejected) return script;
  }
  const script = (await isolate.compileScript(code, { filename, produceCachedData: true })) as CompiledScript;
  slot.cache = script.cachedData;
  return script;
}

/** The same, synchronously: for a host callback the isolate is waiting on (bootstrap.ts: runChunk). */
export function compileCachedSync(isolate: ivm.Isolate, code: string, filename: string, slot: CodeCacheSlot): ivm.Script {
  if (slot.cache) {
    const script = isolate.compileScriptSync(code, { filename, cachedData: slot.cache }) as CompiledScript;
    if (!script.cachedDataRejected) return script;
  }
  const script = isolate.compileScriptSync(code, { filename, produceCachedData: true }) as CompiledScript;
  slot.cache = script.cachedData;
  return script;
}
