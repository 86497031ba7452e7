// Workspaces: one writeable workPath per app build spec, kept between builds and synced by file digest.
import { rm } from 'node:fs/promises';
import { download } from '../../core/files/download.js';
import type { Files } from '../../core/files/types.js';
import { getWriteableDirectory } from '../../core/files/writeable-directory.js';

export interface SyncedWorkspace {
  workPath: string;
  /** Paths written by this sync (every path on the first one). */
  filesChanged: string[];
  /** Paths deleted by this sync. */
  filesRemoved: string[];
}

interface Entry {
  workPath: string;
  digests: Record<string, string>;
}

export class Workspaces {
  private readonly entries = new Map<string, Promise<Entry>>();

  /**
   * Brings the workPath for `key` up to date with `files`, writing only what changed since the last sync, so an
   * unchanged redeploy touches no disk and builders see `filesChanged`/`filesRemoved` as in `now dev`.
   * Syncs of one key are serialized, since they share the folder.
   */
  sync(key: string, files: Files, digests: Record<string, string>): Promise<SyncedWorkspace> {
    const previous = this.entries.get(key);
    let result!: SyncedWorkspace;
    const next = (async (): Promise<Entry> => {
      const before = await previous?.catch(() => undefined);
      const workPath = before?.workPath ?? (await getWriteableDirectory());
      const old = before?.digests ?? {};
      const filesChanged = Object.keys(files).filter((path) => old[path] !== digests[path]);
      const filesRemoved = Object.keys(old).filter((path) => !(path in files));
      try {
        await download(files, workPath, { filesChanged, filesRemoved });
      } catch (error) {
        // The folder is in an unknown state: forget it, so the next sync starts afresh.
        await rm(workPath, { recursive: true, force: true });
        throw error;
      }
      result = { workPath, filesChanged, filesRemoved };
      return { workPath, digests };
    })();
    this.entries.set(key, next);
    return next.then(() => result);
  }

  /** Deletes every workPath. */
  async close(): Promise<void> {
    const entries = await Promise.all([...this.entries.values()].map((e) => e.catch(() => undefined)));
    this.entries.clear();
    await Promise.all(entries.map((e) => e && rm(e.workPath, { recursive: true, force: true })));
  }
}
