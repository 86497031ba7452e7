// The build cache: a job's outputs by fingerprint in the `builds` store, prepareCache files per job, bytes in the blob store.
import type Keyv from 'keyv';
import type { Output } from '../../core/deployment.js';
import type { BlobStore } from '../../core/files/blob-store.js';
import { FileRef } from '../../core/files/file-ref.js';
import { Lambda } from '../../core/files/lambda.js';
import { fileBytes } from '../../core/files/stream.js';
import type { File, Files } from '../../core/files/types.js';
import type { Route } from '../../core/layer.js';
import { mapLimit } from './limit.js';
import type { NormalizedResult } from './validate.js';

interface StoredFile {
  digest: string;
  mode: number;
  contentType?: string;
}

type StoredOutput =
  | ({ type: 'FileRef' } & StoredFile)
  | { type: 'Lambda'; handler: string; runtime: string; environment: Record<string, string>; memory?: number; maxDuration?: number; digest: string; files: Record<string, StoredFile> };

interface StoredBuild {
  output: Record<string, StoredOutput>;
  routes: Route[];
  watch: string[];
}

export class BuildCache {
  constructor(
    private readonly store: Keyv,
    private readonly blobs: BlobStore,
  ) {}

  private async storeFile(file: File): Promise<StoredFile> {
    const digest = file.type === 'FileRef' && (await this.blobs.has(file.digest)) ? file.digest : await this.blobs.put(await fileBytes(file));
    return { digest, mode: file.mode, ...(file.contentType ? { contentType: file.contentType } : {}) };
  }

  private async storeFiles(files: Files): Promise<Record<string, StoredFile>> {
    const paths = Object.keys(files);
    const stored = await mapLimit(paths, 16, (path) => this.storeFile(files[path]!));
    return Object.fromEntries(paths.map((path, i) => [path, stored[i]!]));
  }

  private fileRef(stored: StoredFile): FileRef {
    return new FileRef({ ...stored, blobs: this.blobs });
  }

  private fileRefs(stored: Record<string, StoredFile>): Files {
    return Object.fromEntries(Object.entries(stored).map(([path, file]) => [path, this.fileRef(file)]));
  }

  private restoreOutput(stored: StoredOutput): Output {
    if (stored.type === 'FileRef') return this.fileRef(stored);
    const { files, type: _, ...lambda } = stored;
    return new Lambda({ ...lambda, files: this.fileRefs(files) });
  }

  /**
   * Puts a build's files into the blob store and records the build under its fingerprint. Returns the result as a
   * cache hit would give it back (FileRefs, Lambdas over FileRefs), so a hit and a miss deploy the same thing.
   */
  async save(fingerprint: string, result: NormalizedResult): Promise<NormalizedResult> {
    const output: Record<string, StoredOutput> = {};
    for (const [path, item] of Object.entries(result.output)) {
      output[path] =
        item.type === 'Lambda'
          ? { type: 'Lambda', handler: item.handler, runtime: item.runtime, environment: item.environment, memory: item.memory, maxDuration: item.maxDuration, digest: item.digest!, files: await this.storeFiles(item.files) }
          : { type: 'FileRef', ...(await this.storeFile(item)) };
    }
    const stored: StoredBuild = { output, routes: result.routes, watch: result.watch };
    await this.store.set(`build:${fingerprint}`, stored);
    return this.restore(stored);
  }

  /** The cached build for a fingerprint, when there is one and its blobs are all still there. */
  async load(fingerprint: string): Promise<NormalizedResult | undefined> {
    const stored = (await this.store.get(`build:${fingerprint}`)) as StoredBuild | undefined;
    if (!stored) return undefined;
    const digests = Object.values(stored.output).flatMap((o) => (o.type === 'FileRef' ? [o.digest] : Object.values(o.files).map((f) => f.digest)));
    const present = await Promise.all(digests.map((digest) => this.blobs.has(digest)));
    return present.every(Boolean) ? this.restore(stored) : undefined;
  }

  private restore(stored: StoredBuild): NormalizedResult {
    const output = Object.fromEntries(Object.entries(stored.output).map(([path, item]) => [path, this.restoreOutput(item)]));
    return { output, routes: stored.routes, watch: stored.watch };
  }

  /** Keeps what prepareCache returned for a job, to restore into its next build's workPath. */
  async savePrepared(key: string, files: Files): Promise<void> {
    await this.store.set(`prepared:${key}`, await this.storeFiles(files));
  }

  async loadPrepared(key: string): Promise<Files | undefined> {
    const stored = (await this.store.get(`prepared:${key}`)) as Record<string, StoredFile> | undefined;
    return stored && this.fileRefs(stored);
  }
}
