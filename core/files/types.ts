// The Now file vocabulary shared by builders and executors: a File is a blob, a file on disk, or a digest in the blob store.
import type { Readable } from 'node:stream';

export interface FileBase {
  /** Unix mode bits, file type included (0o100644 for a regular file, 0o120777 for a symlink). */
  mode: number;
  contentType?: string;
  /** Opens the content. Lazy: nothing is read before this is called. */
  toStream(): Readable;
}

export type File = import('./file-blob.js').FileBlob | import('./file-fs-ref.js').FileFsRef | import('./file-ref.js').FileRef;

/** A build's inputs or outputs: a map from a relative POSIX path to a file. */
export type Files = Record<string, File>;

/** The default mode of a regular file. */
export const DEFAULT_FILE_MODE = 0o100644;

/** True when the mode bits say directory (S_IFDIR): an empty folder kept as a file entry. */
export function isDirectory(mode: number): boolean {
  return (mode & 0o170000) === 0o040000;
}

/** True when the mode bits say symlink (S_IFLNK). */
export function isSymbolicLink(mode: number): boolean {
  return (mode & 0o170000) === 0o120000;
}
