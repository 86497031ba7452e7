// `use` resolution: the runtime's builder registry first, then an installed package loaded with import().
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Builder } from '../../core/builder.js';
import { shaDigest } from '../../core/files/blob-store.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Hooks } from '../../core/hooks.js';
import { VERSION } from '../../core/version.js';
import { findPackageEntry, packageName } from './package-entry.js';

export interface ResolvedBuilder {
  builder: Builder;
  /** What the build cache keys on besides the inputs: where the builder came from, and its version. */
  identity: string;
}

/** Checks a module's exports are a builder: `version` 2 or 3, `build`, and optional hook functions. */
export function asBuilder(exports: unknown, use: string): Builder {
  const mod = exports as Record<string, unknown> | undefined;
  const candidate = (typeof mod?.build === 'function' ? mod : mod?.default) as Record<string, unknown> | undefined;
  const fail = (what: string) =>
    new HangarError(ErrorCode.BUILDER_UNKNOWN, `builder ${JSON.stringify(use)} is not a Now Runtime API builder: ${what}`, { details: { builder: use } });
  if (!candidate || typeof candidate.build !== 'function') throw fail('it exports no build() function');
  if (candidate.version !== 2 && candidate.version !== 3) throw fail(`it exports version ${JSON.stringify(candidate.version)}; Hangar runs versions 2 and 3`);
  for (const name of ['analyze', 'prepareCache', 'shouldServe']) {
    if (candidate[name] !== undefined && typeof candidate[name] !== 'function') throw fail(`its ${name} export is not a function`);
  }
  return candidate as unknown as Builder;
}

export class BuilderResolver {
  /** Loaded packages by entry file: import() caches modules for the process, so identities are computed once too. */
  private readonly packages = new Map<string, Promise<ResolvedBuilder>>();

  constructor(private readonly hooks: Hooks) {}

  /** `fromDirs`: where to look for node_modules (the app's folder, then the host's working directory). */
  async resolve(use: string, fromDirs: readonly string[]): Promise<ResolvedBuilder> {
    const registered = this.hooks.builder.get(use)?.call();
    if (registered) return { builder: asBuilder(registered, use), identity: `${use}@${registered.version}/hangar@${VERSION}` };
    const name = packageName(use);
    const entry = name && (await findPackageEntry(name, fromDirs));
    if (!entry) {
      throw new HangarError(
        ErrorCode.BUILDER_UNKNOWN,
        `unknown builder ${JSON.stringify(use)}: it is not registered with the runtime (built in: static, edge) and no package of that name is installed in ${fromDirs.join(' or ')}; install it (npm i ${name ?? use}) or fix "use"`,
        { details: { builder: use } },
      );
    }
    let loaded = this.packages.get(entry.file);
    if (!loaded) {
      loaded = (async () => {
        const [exports, source] = await Promise.all([import(pathToFileURL(entry.file).href), readFile(entry.file)]).catch((error: unknown) => {
          throw new HangarError(ErrorCode.BUILDER_UNKNOWN, `builder ${JSON.stringify(use)} (${entry.file}) failed to load: ${(error as Error).message}`, { cause: error, details: { builder: use } });
        });
        return { builder: asBuilder(exports, use), identity: `${entry.name}@${entry.version}/${shaDigest(source)}` };
      })();
      this.packages.set(entry.file, loaded);
      loaded.catch(() => this.packages.delete(entry.file));
    }
    return loaded;
  }
}
