// hangar.json: parsed, validated, and turned into a layer with one project and one app module.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { BuildSpec, Layer, Module } from '../../core/layer.js';

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const routeRule = z
  .object({
    src: z.string().min(1).refine((src) => isRegex(src), 'must be a valid regular expression'),
    dest: z.string().optional(),
    headers: z.record(z.string()).optional(),
    methods: z.array(z.string().regex(/^[A-Za-z]+$/, 'must be an HTTP method name')).optional(),
    status: z.number().int().min(100).max(599).optional(),
    continue: z.boolean().optional(),
    check: z.boolean().optional(),
  })
  .strict();
const routeHandle = z.object({ handle: z.enum(['filesystem', 'miss', 'hit', 'error', 'rewrite']) }).strict();

/** The schema of hangar.json. Unknown fields are errors, so a typo is never silently ignored. */
export const appConfigSchema = z
  .object({
    name: z.string().regex(NAME, 'must be lowercase letters, digits and dashes (a DNS label)').optional(),
    hostnames: z.array(z.string().regex(HOSTNAME, 'must be a hostname such as shop.example.com or *.example.com')).optional(),
    builds: z
      .array(z.object({ src: z.string().min(1), use: z.string().min(1), config: z.record(z.unknown()).optional() }).strict())
      .optional(),
    routes: z.array(z.union([routeHandle, routeRule])).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid variable name'), z.string()).optional(),
    fetch: z
      .object({
        allow: z.array(z.string().refine((host) => (HOSTNAME.test(host) && !host.startsWith('*')) || isIP(host) !== 0, 'must be a hostname (no wildcard) or an IP address, such as api.internal or 10.0.0.5')).optional(),
        timeoutMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type AppConfig = z.infer<typeof appConfigSchema>;

function isRegex(src: string): boolean {
  try {
    new RegExp(src);
    return true;
  } catch {
    return false;
  }
}

/** The builds used when an app has no `builds`: index.ts/js to the edge builder, public/** to static. */
export const ZERO_CONFIG_BUILDS: BuildSpec[] = [
  { src: '{index.ts,index.js,index.tsx,index.jsx,index.mjs}', use: 'edge' },
  { src: 'public/**', use: 'static', config: { root: 'public' } },
];

/** Static files first, then everything else to the app's Lambda. */
export const ZERO_CONFIG_ROUTES = [{ handle: 'filesystem' as const }, { src: '/.*', dest: '/index' }];

/** Reads `<dir>/hangar.json` when there is one; a wrong field is an error naming the file and the field. */
export async function readAppConfig(dir: string): Promise<AppConfig> {
  const file = join(dir, 'hangar.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HangarError(ErrorCode.CONFIG_INVALID, `${file}: not valid JSON (${(error as Error).message})`, { details: { file } });
  }
  const parsed = appConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') || '(root)';
    const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
    throw new HangarError(ErrorCode.CONFIG_INVALID, `${file}: ${field}: ${message}`, { details: { file, field } });
  }
  return parsed.data;
}

/** One project named after the app, holding one app module whose source is the app folder. */
export function appConfigToLayer(dir: string, config: AppConfig): Layer {
  const name = config.name ?? basename(dir).toLowerCase();
  if (!NAME.test(name)) {
    throw new HangarError(ErrorCode.CONFIG_INVALID, `${dir}: the folder name ${JSON.stringify(basename(dir))} is not a valid app name; rename it or set "name" in hangar.json`, { details: { file: join(dir, 'hangar.json'), field: 'name' } });
  }
  const module: Module = {
    kind: 'app',
    sources: [{ path: '.' }],
    builds: config.builds ?? ZERO_CONFIG_BUILDS,
    routes: config.routes ?? (config.builds ? [] : ZERO_CONFIG_ROUTES),
    hostnames: config.hostnames ?? [`${name}.localhost`],
    env: config.env ?? {},
    ...(config.fetch ? { fetch: config.fetch } : {}),
  };
  return { projects: { [name]: { modules: { app: module } } } };
}
