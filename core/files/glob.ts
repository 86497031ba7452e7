// glob: matches files under an absolute cwd into FileFsRefs, as in the Now Runtime API: dotfiles included,
// symlinks kept as symlinks (never followed), folders left out.
import { lstat, readdir } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import picomatch from 'picomatch';
import { rememberStat } from './content-digest.js';
import { FileFsRef } from './file-fs-ref.js';

export interface GlobOptions {
  cwd: string;
  ignore?: string[];
}

/** A name no pattern spells out, to ask "would everything inside this folder be ignored?". */
const PROBE = '\u{FFFF}';

async function walk(cwd: string, dir: string, skipDir: (rel: string) => boolean, out: string[]): Promise<void> {
  const entries = await readdir(join(cwd, dir), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  await Promise.all(
    entries.map(async (entry) => {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skipDir(rel)) await walk(cwd, rel, skipDir, out);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        out.push(rel);
      }
    }),
  );
}

export async function glob(pattern: string, opts: GlobOptions | string, mountpoint?: string): Promise<Record<string, FileFsRef>> {
  const options = typeof opts === 'string' ? { cwd: opts } : opts;
  if (!options?.cwd || !isAbsolute(options.cwd)) throw new TypeError(`glob: "cwd" must be an absolute path, got ${JSON.stringify(options?.cwd)}`);
  const matches = picomatch(pattern, { dot: true });
  const ignored = options.ignore?.length ? picomatch(options.ignore, { dot: true }) : () => false;
  // Start at the pattern's literal base: `public/**` walks public/ only, `docs/a.md` walks docs/.
  const scan = picomatch.scan(pattern);
  const literalDir = posix.dirname(pattern);
  const base = scan.isGlob ? scan.base : literalDir === '.' ? '' : literalDir;
  const found: string[] = [];
  await walk(options.cwd, base, (rel) => ignored(`${rel}/${PROBE}`), found);
  const paths = found.filter((rel) => matches(rel) && !ignored(rel)).sort();
  const out: Record<string, FileFsRef> = {};
  const stats = await Promise.all(paths.map((rel) => lstat(join(options.cwd, rel))));
  paths.forEach((rel, i) => {
    const key = mountpoint ? posix.join(mountpoint, rel) : rel;
    const ref = new FileFsRef({ fsPath: join(options.cwd, rel), mode: stats[i]!.mode });
    rememberStat(ref, stats[i]!);
    out[key] = ref;
  });
  return out;
}
