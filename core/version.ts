// The package version, read once from package.json, for the Server header and the CLI.
import { existsSync, readFileSync } from 'node:fs';

/** Finds package.json from source (core/) and from the build (dist/core/) alike. */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

export const VERSION: string = readVersion();
