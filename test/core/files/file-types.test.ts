import test from 'ava';
import { mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Keyv from 'keyv';
import { HangarError } from '../../../core/errors.js';
import { BlobStore, shaDigest } from '../../../core/files/blob-store.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { FileFsRef } from '../../../core/files/file-fs-ref.js';
import { FileRef } from '../../../core/files/file-ref.js';
import { streamToBuffer } from '../../../core/files/stream.js';
import { DEFAULT_FILE_MODE, isDirectory, isSymbolicLink } from '../../../core/files/types.js';

const read = async (file: { toStream(): NodeJS.ReadableStream }) => (await streamToBuffer(file.toStream())).toString();

test('FileBlob holds text or bytes, a regular mode by default, and an optional content type', async (t) => {
  const blob = new FileBlob({ data: 'héllo' });
  t.is(blob.type, 'FileBlob');
  t.is(blob.mode, DEFAULT_FILE_MODE);
  t.is(blob.contentType, undefined);
  t.is(await read(blob), 'héllo');
  const bytes = new Uint8Array([0, 1, 2, 3, 4]).subarray(1, 4);
  t.deepEqual([...(await streamToBuffer(new FileBlob({ data: bytes, contentType: 'application/x-bin' }).toStream()))], [1, 2, 3]);
  t.throws(() => new FileBlob({ data: 42 as never }), { instanceOf: TypeError, message: /"data" must be a string or a Uint8Array/ });
});

test('FileBlob.fromStream reads the stream and keeps mode and content type', async (t) => {
  const blob = await FileBlob.fromStream({ stream: Readable.from([Buffer.from('a'), Buffer.from('b')]), mode: 0o100755, contentType: 'text/x-sh' });
  t.is(blob.mode, 0o100755);
  t.is(blob.contentType, 'text/x-sh');
  t.is(await read(blob), 'ab');
});

test('FileFsRef is lazy: nothing is opened until toStream is called', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  const ref = new FileFsRef({ fsPath: join(dir, 'later.txt') });
  await writeFile(join(dir, 'later.txt'), 'written after the ref was made');
  t.is(await read(ref), 'written after the ref was made');
  t.throws(() => new FileFsRef({ fsPath: '' }), { instanceOf: TypeError });
});

test('FileFsRef.fromFsPath takes the mode from disk; fromStream writes the file with its mode', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  await writeFile(join(dir, 'run.sh'), '#!/bin/sh', { mode: 0o755 });
  const ref = await FileFsRef.fromFsPath({ fsPath: join(dir, 'run.sh') });
  t.is(ref.mode & 0o777, 0o755);
  const written = await FileFsRef.fromStream({ stream: Readable.from(['abc']), fsPath: join(dir, 'deep/er/out.txt'), mode: 0o100600 });
  t.is(await readFile(join(dir, 'deep/er/out.txt'), 'utf8'), 'abc');
  t.is((await stat(written.fsPath)).mode & 0o777, 0o600);
});

test('a symlink FileFsRef keeps its mode bits and reads as its target path, never the target content', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  await symlink('/etc/hostname', join(dir, 'link'));
  const ref = await FileFsRef.fromFsPath({ fsPath: join(dir, 'link') });
  t.true(isSymbolicLink(ref.mode));
  t.false(isDirectory(ref.mode));
  t.is(await read(ref), '/etc/hostname');
});

test('FileRef is addressed by a sha:<hex> digest and streams from the blob store', async (t) => {
  const blobs = new BlobStore(new Keyv());
  const digest = await blobs.put(Buffer.from('stored'));
  t.is(digest, shaDigest('stored'));
  const ref = new FileRef({ digest, blobs, contentType: 'text/plain' });
  t.is(ref.type, 'FileRef');
  t.is(ref.etag, `"${digest.slice(4)}"`);
  t.is(await read(ref), 'stored');
  t.throws(() => new FileRef({ digest: 'md5:abc' }), { instanceOf: TypeError, message: /sha:<64 hex>/ });
  const missing = new FileRef({ digest: shaDigest('never stored'), blobs });
  await t.throwsAsync(streamToBuffer(missing.toStream()), { instanceOf: HangarError, message: /is not in the blob store/ });
  t.throws(() => new FileRef({ digest }).toStream(), { instanceOf: HangarError, message: /no blob store attached/ });
});
