// Lambda and createLambda: a runnable function output (code files + handler + runtime), as in the Now Runtime API.
import { createHash } from 'node:crypto';
import { ErrorCode, HangarError } from '../errors.js';
import { streamToBuffer } from './stream.js';
import type { Files } from './types.js';

export interface LambdaOptions {
  files: Files;
  /** The entry file within `files` (for runtime `edge`, the bundled script). */
  handler: string;
  /** Which executor runs it; `edge` is served by the isolate executor. */
  runtime: string;
  environment?: Record<string, string>;
  /** Memory limit in MiB; the executor's default when absent. */
  memory?: number;
  /** Wall-time limit per request in seconds; the executor's default when absent. */
  maxDuration?: number;
  /** Content hash of files, handler, runtime and environment; set by createLambda. */
  digest?: string;
}

export class Lambda {
  readonly type = 'Lambda' as const;
  files: Files;
  handler: string;
  runtime: string;
  environment: Record<string, string>;
  memory?: number;
  maxDuration?: number;
  digest?: string;

  constructor(options: LambdaOptions) {
    this.files = options.files;
    this.handler = options.handler;
    this.runtime = options.runtime;
    this.environment = options.environment ?? {};
    this.memory = options.memory;
    this.maxDuration = options.maxDuration;
    this.digest = options.digest;
  }
}

function invalid(message: string): HangarError {
  return new HangarError(ErrorCode.BUILD_FAILED, `createLambda: ${message}`);
}

/** Validates its arguments, reads the files once to hash them, and returns a Lambda with its digest. */
export async function createLambda(options: LambdaOptions): Promise<Lambda> {
  const { files, handler, runtime, environment = {}, memory, maxDuration } = options ?? ({} as LambdaOptions);
  if (!files || typeof files !== 'object' || Array.isArray(files)) throw invalid('"files" must be an object of path to File');
  for (const [path, file] of Object.entries(files)) {
    if (!path || path.startsWith('/') || path.split('/').includes('..')) throw invalid(`file path ${JSON.stringify(path)} must be relative, inside the Lambda`);
    if (typeof (file as { toStream?: unknown })?.toStream !== 'function' || !Number.isInteger((file as { mode?: unknown }).mode)) {
      throw invalid(`files[${JSON.stringify(path)}] must be a File (FileBlob, FileFsRef or FileRef)`);
    }
  }
  if (typeof handler !== 'string' || !handler) throw invalid('"handler" must be a non-empty string');
  if (typeof runtime !== 'string' || !runtime) throw invalid('"runtime" must be a non-empty string, for example "edge"');
  if (!(handler in files)) {
    throw invalid(`"handler" ${JSON.stringify(handler)} is not one of the files (${Object.keys(files).slice(0, 5).join(', ')})`);
  }
  if (!environment || typeof environment !== 'object' || Array.isArray(environment)) throw invalid('"environment" must be an object of names to strings');
  for (const [key, value] of Object.entries(environment)) {
    if (typeof value !== 'string') throw invalid(`environment.${key} must be a string`);
  }
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 8 || memory > 4096)) {
    throw invalid('"memory" must be a whole number of MiB between 8 and 4096');
  }
  if (maxDuration !== undefined && !(typeof maxDuration === 'number' && maxDuration > 0 && maxDuration <= 900)) {
    throw invalid('"maxDuration" must be a number of seconds in (0, 900]');
  }
  const hash = createHash('sha256').update(JSON.stringify({ handler, runtime, environment, memory, maxDuration }));
  for (const path of Object.keys(files).sort()) {
    const file = files[path]!;
    hash.update(`\0${path}\0${file.mode}\0`);
    hash.update(await streamToBuffer(file.toStream()));
  }
  return new Lambda({ files, handler, runtime, environment, memory, maxDuration, digest: `sha:${hash.digest('hex')}` });
}
