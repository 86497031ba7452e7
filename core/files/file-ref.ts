// FileRef: a file addressed by its digest (`sha:<hex>`) in the runtime's blob store, as in the Now Runtime API.
import { PassThrough, type Readable } from 'node:stream';
import { ErrorCode, HangarError } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { DEFAULT_FILE_MODE, type FileBase } from './types.js';

export interface FileRefOptions {
  digest: string;
  mode?: number;
  contentType?: string;
  /** The store to read from; attached by whoever restores the FileRef. */
  blobs?: BlobStore;
}

const DIGEST = /^sha:[0-9a-f]{64}$/;

export class FileRef implements FileBase {
  readonly type = 'FileRef' as const;
  mode: number;
  contentType?: string;
  digest: string;
  blobs?: BlobStore;

  constructor({ digest, mode = DEFAULT_FILE_MODE, contentType, blobs }: FileRefOptions) {
    if (!DIGEST.test(digest)) throw new TypeError(`FileRef: "digest" must look like sha:<64 hex>, got ${JSON.stringify(digest)}`);
    this.digest = digest;
    this.mode = mode;
    this.contentType = contentType;
    this.blobs = blobs;
  }

  /** The ETag for this content; strong, since the digest is the content's hash. */
  get etag(): string {
    return `"${this.digest.slice(4)}"`;
  }

  toStream(): Readable {
    const blobs = this.blobs;
    if (!blobs) throw new HangarError(ErrorCode.INTERNAL, `FileRef ${this.digest} has no blob store attached`);
    const out = new PassThrough();
    blobs.get(this.digest).then((bytes) => out.end(bytes), (error: unknown) => out.destroy(error as Error));
    return out;
  }
}
