// FileFsRef: a file on the local disk, opened only when read, as in the Now Runtime API.
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_FILE_MODE, isSymbolicLink, type FileBase } from './types.js';

export interface FileFsRefOptions {
  fsPath: string;
  mode?: number;
  contentType?: string;
}

export class FileFsRef implements FileBase {
  readonly type = 'FileFsRef' as const;
  mode: number;
  contentType?: string;
  fsPath: string;

  constructor({ fsPath, mode = DEFAULT_FILE_MODE, contentType }: FileFsRefOptions) {
    if (typeof fsPath !== 'string' || !fsPath) throw new TypeError('FileFsRef: "fsPath" must be a non-empty string');
    this.fsPath = fsPath;
    this.mode = mode;
    this.contentType = contentType;
  }

  /** Refers to an existing file, taking its mode from the disk unless one is given. */
  static async fromFsPath({ fsPath, mode, contentType }: FileFsRefOptions): Promise<FileFsRef> {
    const m = mode ?? (await lstat(fsPath)).mode;
    return new FileFsRef({ fsPath, mode: m, contentType });
  }

  /** Writes a stream to `fsPath` (creating folders) and refers to the result. */
  static async fromStream({ stream, fsPath, mode, contentType }: FileFsRefOptions & { stream: NodeJS.ReadableStream }): Promise<FileFsRef> {
    await mkdir(dirname(fsPath), { recursive: true });
    await pipeline(stream, createWriteStream(fsPath, { mode: (mode ?? DEFAULT_FILE_MODE) & 0o777 }));
    return new FileFsRef({ fsPath, mode, contentType });
  }

  /**
   * Opens the file when read. A symlink reads as its target path, the way FileBlob and FileRef carry symlinks,
   * so a tenant's link to a host file never exposes that file's bytes.
   */
  toStream(): Readable {
    if (!isSymbolicLink(this.mode)) return createReadStream(this.fsPath);
    const out = new PassThrough();
    readlink(this.fsPath).then((target) => out.end(target), (error: unknown) => out.destroy(error as Error));
    return out;
  }
}
