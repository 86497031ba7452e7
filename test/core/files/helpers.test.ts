import test from 'ava';
import { lstat, mkdir, mkdtemp, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { shaDigest } from '../../../core/files/blob-store.js';
import { contentDigest } from '../../../core/files/content-digest.js';
import { download } from '../../../core/files/download.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { glob } from '../../../core/files/glob.js';
import { createLambda } from '../../../core/files/lambda.js';
import { rename } from '../../../core/files/rename.js';
import { shouldServe } from '../../../core/files/should-serve.js';
import { streamToBuffer } from '../../../core/files/stream.js';
import { isSymbolicLink } from '../../../core/files/types.js';
import { getWriteableDirectory } from '../../../core/files/writeable-directory.js';

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-helpers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

test('glob takes an absolute cwd, includes dotfiles, returns files only, and keeps symlinks unfollowed', async (t) => {
  const dir = await tree({ 'a.txt': 'a', '.env': 'x', 'sub/b.txt': 'b', 'sub/.hidden/c.txt': 'c', 'node_modules/m/i.js': '' });
  await mkdir(join(dir, 'empty'));
  await symlink('sub', join(dir, 'sublink'));
  const all = await glob('**', { cwd: dir, ignore: ['node_modules/**'] });
  t.deepEqual(Object.keys(all), ['.env', 'a.txt', 'sub/.hidden/c.txt', 'sub/b.txt', 'sublink']);
  t.true(isSymbolicLink(all.sublink!.mode));
  t.is(all['sub/b.txt']!.fsPath, join(dir, 'sub/b.txt'));
  t.deepEqual(Object.keys(await glob('sub/*.txt', dir)), ['sub/b.txt']);
  t.deepEqual(Object.keys(await glob('sub/b.txt', dir)), ['sub/b.txt']);
  t.deepEqual(Object.keys(await glob('a.txt', dir)), ['a.txt']);
  t.deepEqual(Object.keys(await glob('*.txt', dir, 'mnt/x')), ['mnt/x/a.txt']);
  await t.throwsAsync(glob('**', 'relative/dir'), { instanceOf: TypeError, message: /absolute/ });
  t.deepEqual(await glob('missing/**', dir), {});
});

test('download writes files and symlinks with their modes and returns FileFsRefs at the destination', async (t) => {
  const dst = await getWriteableDirectory();
  t.true(isAbsolute(dst));
  const files = {
    'bin/run': new FileBlob({ data: 'echo', mode: 0o100755 }),
    'docs/readme.md': new FileBlob({ data: '# hi' }),
    'docs/link.md': new FileBlob({ data: 'readme.md', mode: 0o120777 }),
  };
  const out = await download(files, dst);
  t.deepEqual(Object.keys(out).sort(), Object.keys(files).sort());
  t.is((await lstat(join(dst, 'bin/run'))).mode & 0o777, 0o755);
  t.is(await readlink(join(dst, 'docs/link.md')), 'readme.md');
  t.is(await readFile(out['docs/link.md']!.fsPath, 'utf8'), '# hi');
});

test('download honours filesChanged and filesRemoved', async (t) => {
  const dst = await getWriteableDirectory();
  await download({ 'a.txt': new FileBlob({ data: 'a1' }), 'b.txt': new FileBlob({ data: 'b1' }), 'gone.txt': new FileBlob({ data: 'g' }) }, dst);
  const next = { 'a.txt': new FileBlob({ data: 'a2' }), 'b.txt': new FileBlob({ data: 'b2' }) };
  const out = await download(next, dst, { isDev: true, filesChanged: ['a.txt'], filesRemoved: ['gone.txt'] });
  t.is(await readFile(join(dst, 'a.txt'), 'utf8'), 'a2');
  t.is(await readFile(join(dst, 'b.txt'), 'utf8'), 'b1', 'an unchanged path is not rewritten');
  await t.throwsAsync(lstat(join(dst, 'gone.txt')), { code: 'ENOENT' });
  t.is(out['b.txt']!.fsPath, join(dst, 'b.txt'));
});

test('download refuses paths and symlinks that leave the destination', async (t) => {
  const dst = await getWriteableDirectory();
  await t.throwsAsync(download({ '../escape.txt': new FileBlob({ data: '' }) }, dst), { message: /escapes the destination/ });
  await t.throwsAsync(download({ 'l': new FileBlob({ data: '/etc/passwd', mode: 0o120777 }) }, dst), { message: /points outside/ });
  await t.throwsAsync(download({ 'a/l': new FileBlob({ data: '../../x', mode: 0o120777 }) }, dst), { message: /points outside/ });
});

test('rename maps every path through the function', (t) => {
  const a = new FileBlob({ data: 'a' });
  const b = new FileBlob({ data: 'b' });
  const renamed = rename({ 'src/a.ts': a, 'src/b.ts': b }, (path) => path.replace(/^src\//, 'lib/'));
  t.deepEqual(Object.keys(renamed), ['lib/a.ts', 'lib/b.ts']);
  t.is(renamed['lib/a.ts'], a);
});

test('getWriteableDirectory gives a fresh empty folder each time', async (t) => {
  const [a, b] = await Promise.all([getWriteableDirectory(), getWriteableDirectory()]);
  t.not(a, b);
  await writeFile(join(a, 'x'), 'ok');
  t.is(await readFile(join(a, 'x'), 'utf8'), 'ok');
});

const lambdaFiles = { 'index.js': new FileBlob({ data: 'x' }) };
const badLambdas: [string, unknown, RegExp][] = [
  ['no files', { handler: 'index.js', runtime: 'edge' }, /"files" must be an object/],
  ['no handler', { files: lambdaFiles, runtime: 'edge' }, /"handler" must be a non-empty string/],
  ['a handler that is not a file', { files: lambdaFiles, handler: 'main.js', runtime: 'edge' }, /"handler" "main\.js" is not one of the files \(index\.js\)/],
  ['no runtime', { files: lambdaFiles, handler: 'index.js' }, /"runtime" must be a non-empty string/],
  ['a file that is not a File', { files: { 'index.js': 'code' }, handler: 'index.js', runtime: 'edge' }, /files\["index\.js"\] must be a File/],
  ['a file path that leaves the Lambda', { files: { '../x.js': new FileBlob({ data: '' }) }, handler: '../x.js', runtime: 'edge' }, /file path "\.\.\/x\.js" must be relative/],
  ['an environment that is not an object', { files: lambdaFiles, handler: 'index.js', runtime: 'edge', environment: 'A=1' }, /"environment" must be an object/],
  ['a non-string env value', { files: lambdaFiles, handler: 'index.js', runtime: 'edge', environment: { N: 1 } }, /environment\.N must be a string/],
  ['a tiny memory', { files: lambdaFiles, handler: 'index.js', runtime: 'edge', memory: 1 }, /"memory" must be a whole number of MiB/],
  ['a negative maxDuration', { files: lambdaFiles, handler: 'index.js', runtime: 'edge', maxDuration: -1 }, /"maxDuration"/],
];
for (const [name, options, message] of badLambdas) {
  test(`createLambda refuses ${name}`, async (t) => {
    const error = await t.throwsAsync(createLambda(options as never), { instanceOf: HangarError });
    t.is(error?.code, ErrorCode.BUILD_FAILED);
    t.regex(error?.message ?? '', message);
  });
}

test('createLambda digests the content: same files and settings, same digest', async (t) => {
  const make = (data: string, memory?: number) => createLambda({ files: { 'index.js': new FileBlob({ data }) }, handler: 'index.js', runtime: 'edge', memory });
  const [a, b, c, d] = await Promise.all([make('one'), make('one'), make('two'), make('one', 256)]);
  t.is(a.type, 'Lambda');
  t.deepEqual(a.environment, {});
  t.is(a.digest, b.digest);
  t.not(a.digest, c.digest);
  t.not(a.digest, d.digest);
  t.is((await streamToBuffer(a.files['index.js']!.toStream())).toString(), 'one');
});

test('the default shouldServe serves the entrypoint path or the folder of its index', (t) => {
  const files = { 'api/user.ts': new FileBlob({ data: '' }), 'blog/index.md': new FileBlob({ data: '' }) };
  const serves = (entrypoint: string, requestPath: string) => shouldServe({ entrypoint, files, requestPath });
  t.true(serves('api/user.ts', 'api/user.ts'));
  t.true(serves('api/user.ts', '/api/user.ts/'));
  t.false(serves('api/user.ts', 'api/user'));
  t.true(serves('blog/index.md', 'blog'));
  t.true(serves('blog/index.md', 'blog/'));
  t.false(serves('blog/index.md', 'blog/other'));
  t.false(serves('gone.ts', 'gone.ts'), 'an entrypoint not in files is not served');
});

test('contentDigest of a globbed file follows its content, also for a same-size rewrite of an old file', async (t) => {
  const dir = await tree({ 'a.txt': 'one' });
  const digestOf = async () => contentDigest((await glob('a.txt', dir))['a.txt']!);
  t.is(await digestOf(), shaDigest('one'));
  await new Promise((resolve) => setTimeout(resolve, 2_100)); // out of the window where timestamps are not trusted
  t.is(await digestOf(), shaDigest('one'));
  t.is(await digestOf(), shaDigest('one'), 'remembered by its stat');
  await writeFile(join(dir, 'a.txt'), 'two');
  t.is(await digestOf(), shaDigest('two'));
  t.is(await contentDigest(new FileBlob({ data: 'three' })), shaDigest('three'));
});
