// The Now file types and helpers, in one import.
export * from './types.js';
export { FileBlob } from './file-blob.js';
export { FileFsRef } from './file-fs-ref.js';
export { FileRef } from './file-ref.js';
export { BlobStore, shaDigest } from './blob-store.js';
export { Lambda, createLambda, type LambdaOptions } from './lambda.js';
export { glob, type GlobOptions } from './glob.js';
export { download, type DownloadMeta } from './download.js';
export { rename } from './rename.js';
export { getWriteableDirectory } from './writeable-directory.js';
export { streamToBuffer, fileBytes } from './stream.js';
export { shouldServe } from './should-serve.js';
export { contentDigest } from './content-digest.js';
