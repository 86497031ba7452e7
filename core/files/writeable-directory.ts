// getWriteableDirectory: a fresh temporary folder for a build's work, as in the Now Runtime API.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function getWriteableDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hangar-'));
}
