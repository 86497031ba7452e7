// FileBlob: a file held in memory, as in the Now Runtime API.
import { Readable } from 'node:stream';
import { DEFAULT_FILE_MODE, type FileBase } from './types.js';
import { streamToBuffer } from './stream.js';

export interface FileBlobOptions {
  data: string | Uint8Array;
  mode?: number;
  contentType?: string;
}

export class FileBlob implements FileBase {
  readonly type = 'FileBlob' as const;
  mode: number;
  contentType?: string;
  data: string | Uint8Array;

  constructor({ data, mode = DEFAULT_FILE_MODE, contentType }: FileBlobOptions) {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError('FileBlob: "data" must be a string or a Uint8Array');
    }
    this.data = data;
    this.mode = mode;
    this.contentType = contentType;
  }

  static async fromStream(options: { stream: NodeJS.ReadableStream; mode?: number; contentType?: string }): Promise<FileBlob> {
    return new FileBlob({ data: await streamToBuffer(options.stream), mode: options.mode, contentType: options.contentType });
  }

  toStream(): Readable {
    return Readable.from([typeof this.data === 'string' ? Buffer.from(this.data) : Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength)]);
  }
}
