import test from 'ava';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { LayersPlugin, layerId, ZERO_CONFIG_BUILDS } from '../../../plugins/layers/index.js';
import { quietRuntime } from '../../helpers/kernel.js';

async function appDir(name: string, config?: unknown, files: Record<string, string> = { 'index.js': '' }): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'hangar-layers-')), name);
  await mkdir(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  if (config !== undefined) await writeFile(join(dir, 'hangar.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

function runtime() {
  return quietRuntime().use(new LayersPlugin());
}

test('an app folder without hangar.json gets zero-config builds and <name>.localhost', async (t) => {
  const resolved = await runtime().resolveLayer(await appDir('hello'));
  const module = resolved.layer.projects.hello?.modules.app;
  t.is(module?.kind, 'app');
  t.deepEqual(module?.builds, ZERO_CONFIG_BUILDS);
  t.deepEqual(module?.hostnames, ['hello.localhost']);
  t.deepEqual(module?.sources, [{ path: '.' }]);
  t.regex(resolved.id, /^sha256-[A-Za-z0-9_-]{43}$/);
});

test('hangar.json names, hostnames, builds, routes and env become the app module', async (t) => {
  const config = {
    name: 'shop',
    hostnames: ['shop.example.com', '*.shop.test'],
    builds: [{ src: 'api/*.ts', use: 'edge', config: { minify: true } }],
    routes: [{ src: '/old/(.*)', dest: '/new/$1', status: 308 }, { handle: 'filesystem' }],
    env: { API_KEY: 'k' },
  };
  const resolved = await runtime().resolveLayer(await appDir('folder-name', config));
  t.deepEqual(Object.keys(resolved.layer.projects), ['shop']);
  const module = resolved.layer.projects.shop!.modules.app!;
  t.deepEqual(module.hostnames, config.hostnames);
  t.deepEqual(module.builds, config.builds);
  t.deepEqual(module.routes, config.routes);
  t.deepEqual(module.env, config.env);
});

const invalid: Array<[string, unknown, RegExp]> = [
  ['unknown field', { nmae: 'x' }, /hangar\.json: \(root\): unknown field "nmae"/],
  ['bad hostname', { hostnames: ['not a host'] }, /hangar\.json: hostnames\[0\]: must be a hostname/],
  ['build without use', { builds: [{ src: 'index.ts' }] }, /hangar\.json: builds\[0\]\.use: Required/],
  ['bad route regex', { routes: [{ src: '/(unclosed' }] }, /hangar\.json: routes\[0\]/],
  ['non-string env', { env: { PORT: 3000 } }, /hangar\.json: env\.PORT: Expected string/],
  ['bad name', { name: 'Not_Valid' }, /hangar\.json: name: must be lowercase/],
  ['not JSON', '{ "name": ', /hangar\.json: not valid JSON/],
];

for (const [title, config, message] of invalid) {
  test(`a wrong hangar.json is an error naming the file and the field: ${title}`, async (t) => {
    const dir = await appDir('app', config);
    const error = await t.throwsAsync(runtime().resolveLayer(dir), { instanceOf: HangarError });
    t.is(error?.code, ErrorCode.CONFIG_INVALID);
    t.regex(error?.message ?? '', message);
    t.true(error?.message.startsWith(join(dir, 'hangar.json')));
  });
}

test('a layer id covers content only: the same app in two folders has one id, a changed field another', async (t) => {
  const rt = runtime();
  const a = await rt.resolveLayer(await appDir('same', { env: { A: '1' } }));
  const b = await rt.resolveLayer(await appDir('same', { env: { A: '1' } }));
  const c = await rt.resolveLayer(await appDir('same', { env: { A: '2' } }));
  t.not(a.baseDir, b.baseDir);
  t.is(a.id, b.id);
  t.not(a.id, c.id);
  t.is(layerId({ projects: { x: { modules: {} } }, imports: {} }), layerId({ imports: {}, projects: { x: { modules: {} } } }));
});

test('local sources are the folder files, without node_modules or .git; a path that leaves the layer is refused', async (t) => {
  const rt = runtime();
  const dir = await appDir('src', undefined, { 'index.js': '1', '.env.example': '2', 'node_modules/x/index.js': '3', 'public/a.css': '4' });
  const layer = await rt.resolveLayer(dir);
  const files = await rt.hooks.resolveSource.promise({ path: '.' }, { layer, cwd: dir });
  t.deepEqual(Object.keys(files ?? {}).sort(), ['.env.example', 'index.js', 'public/a.css']);
  const error = await t.throwsAsync(rt.hooks.resolveSource.promise({ path: '../..' }, { layer, cwd: dir }), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.CONFIG_INVALID);
});

test('a reference that is no folder is not resolved', async (t) => {
  const error = await t.throwsAsync(runtime().resolveLayer('/definitely/not/here'), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.NOT_FOUND);
});
