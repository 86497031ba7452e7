// Finds the ESM entry file of an installed package by name, walking up node_modules folders from a directory.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** npm's package-name rule, with an optional `@version` suffix as in `use: "@scope/builder@1.2.3"`. */
const PACKAGE = /^((?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*)(?:@[^/@]+)?$/;

/** The package name a `use` value names (its version suffix dropped), or undefined when it is no package name. */
export function packageName(use: string): string | undefined {
  return PACKAGE.exec(use)?.[1];
}

export interface PackageEntry {
  name: string;
  version: string;
  /** The absolute path of the file `import()` loads. */
  file: string;
}

type Exports = string | null | { [key: string]: Exports } | Exports[];

/** Picks the `.` export under the conditions an ESM `import()` in Node would use. */
function pickExport(exports: Exports): string | undefined {
  if (typeof exports === 'string') return exports;
  if (!exports || typeof exports !== 'object') return undefined;
  if (Array.isArray(exports)) return exports.map(pickExport).find(Boolean);
  if ('.' in exports) return pickExport(exports['.']!);
  for (const condition of ['import', 'node', 'default']) {
    if (condition in exports) {
      const found = pickExport(exports[condition]!);
      if (found) return found;
    }
  }
  return undefined;
}

interface PackageJson {
  version?: string;
  exports?: Exports;
  main?: string;
}

export async function findPackageEntry(name: string, fromDirs: readonly string[]): Promise<PackageEntry | undefined> {
  for (const start of fromDirs) {
    for (let dir = start; ; dir = dirname(dir)) {
      const root = join(dir, 'node_modules', name);
      const text = await readFile(join(root, 'package.json'), 'utf8').catch(() => undefined);
      if (text !== undefined) {
        const pkg = JSON.parse(text) as PackageJson;
        const rel = (pkg.exports !== undefined ? pickExport(pkg.exports) : undefined) ?? pkg.main ?? 'index.js';
        return { name, version: pkg.version ?? '0.0.0', file: join(root, rel) };
      }
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}
