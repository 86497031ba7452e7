// Materializes file contents: a Node stream, or a File (by the fastest way its type allows), read to one Buffer.
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isSymbolicLink, type File } from './types.js';

export async function streamToBuffer(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

/** A File's bytes, as toStream() would give them; without a stream where the type allows (hashing many small files). */
export async function fileBytes(file: File): Promise<Buffer> {
  if (file.type === 'FileBlob') return typeof file.data === 'string' ? Buffer.from(file.data) : Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength);
  if (file.type === 'FileFsRef' && !isSymbolicLink(file.mode)) return readFile(file.fsPath);
  return streamToBuffer(file.toStream());
}
