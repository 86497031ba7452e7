// The content-addressed blob store behind FileRef: bytes keyed by `sha:<hex>` in a keyv store.
import { createHash } from 'node:crypto';
import type Keyv from 'keyv';
import { ErrorCode, HangarError } from '../errors.js';

/** `sha:<hex>` of the bytes, the digest form FileRef uses. */
export function shaDigest(bytes: Uint8Array | string): string {
  return `sha:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class BlobStore {
  // Base64 text survives every keyv backend's serializer unchanged, where raw bytes do not.
  constructor(private readonly store: Keyv) {}

  async put(bytes: Uint8Array): Promise<string> {
    const digest = shaDigest(bytes);
    if (!(await this.store.has(digest))) await this.store.set(digest, Buffer.from(bytes).toString('base64'));
    return digest;
  }

  async get(digest: string): Promise<Buffer> {
    const text = (await this.store.get(digest)) as string | undefined;
    if (text === undefined) throw new HangarError(ErrorCode.NOT_FOUND, `blob ${digest} is not in the blob store`);
    return Buffer.from(text, 'base64');
  }

  has(digest: string): Promise<boolean> {
    return this.store.has(digest);
  }
}
