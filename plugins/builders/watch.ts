// Dev mode: watches an apps folder (chokidar), batches changes per app, rebuilds what they touch and swaps the app in.
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { watch as chokidar, type FSWatcher } from 'chokidar';
import { ErrorCode, HangarError, toHangarError } from '../../core/errors.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { WatchEvent, WatchHandle, WatchOptions, Watcher } from '../../core/tokens.js';

/** Never app sources, so never a reason to rebuild; lock files are replaced through `<name>.<pid>.tmp`. */
const IGNORED = /(^|[/\\])(node_modules|\.git|\.hangar)([/\\]|$)|\.\d+(\.\d+)?\.tmp$/;

/**
 * chokidar drops a file's `change` events within 50 ms of the last one (no trailing event), so a quick second write
 * would never be built: each change is checked again after that window.
 */
const RECHECK_MS = 75;

/** Changes to one app waiting for its next rebuild. */
interface Batch {
  changed: Set<string>;
  removed: Set<string>;
  /** hangar.json or a folder changed: rebuild every job. */
  full: boolean;
}

interface AppState {
  dir: string;
  batch: Batch;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

const emptyBatch = (): Batch => ({ changed: new Set(), removed: new Set(), full: false });

/** Jobs built and cache hits of the rebuild in flight, by app folder. */
type Counts = Map<string, { built: number; cached: number }>;

class WatchSession implements WatchHandle {
  private readonly apps = new Map<string, AppState>();
  private watcher?: FSWatcher;
  private closed = false;
  private readonly rechecks = new Set<NodeJS.Timeout>();

  constructor(
    private readonly runtime: EdgeRuntime,
    private readonly root: string,
    private readonly counts: Counts,
    private readonly emit: (event: WatchEvent) => void,
    private readonly debounceMs: number,
  ) {}

  async start(): Promise<void> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      throw new HangarError(ErrorCode.CONFIG_INVALID, `apps folder ${this.root} cannot be read (${error.code}); pass an existing folder`);
    });
    for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
      const state = this.state(entry.name);
      state.batch.full = true;
      await this.rebuild(entry.name, state);
    }
    const watcher = chokidar(this.root, { ignoreInitial: true, alwaysStat: true, ignored: (path) => IGNORED.test(relative(this.root, path)) });
    this.watcher = watcher;
    watcher.on('all', (event, path, stats) => this.onChange(event, path, stats));
    watcher.on('error', (error) => this.runtime.logger.warn({ err: error }, `watching ${this.root} failed: ${(error as Error).message}`));
    await new Promise<void>((ready) => watcher.once('ready', ready));
  }

  private state(name: string): AppState {
    let state = this.apps.get(name);
    if (!state) this.apps.set(name, (state = { dir: join(this.root, name), batch: emptyBatch() }));
    return state;
  }

  private onChange(event: string, path: string, stats?: Stats): void {
    if (event === 'add' || event === 'change') this.recheck(path, stats);
    const [name, ...rest] = relative(this.root, path).split(sep);
    if (!name || name.startsWith('.') || name === '..') return;
    const state = this.state(name);
    const file = rest.join('/');
    if (!file || file === 'hangar.json' || event === 'addDir' || event === 'unlinkDir') state.batch.full = true;
    else if (event === 'unlink') state.batch.removed.add(file);
    else state.batch.changed.add(file);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void this.flush(name, state), this.debounceMs);
  }

  private recheck(path: string, seen: Stats | undefined): void {
    if (!seen) return;
    const timer = setTimeout(async () => {
      this.rechecks.delete(timer);
      const now = await stat(path).catch(() => undefined);
      if (!this.closed && now && (now.mtimeMs !== seen.mtimeMs || now.size !== seen.size)) this.onChange('change', path, now);
    }, RECHECK_MS);
    this.rechecks.add(timer);
  }

  /** Starts a rebuild unless one is running; the running one flushes again when it ends. */
  private flush(name: string, state: AppState): void {
    if (this.closed || state.running) return;
    state.running = this.rebuild(name, state).finally(() => {
      state.running = undefined;
      const { batch } = state;
      if (batch.full || batch.changed.size || batch.removed.size) this.flush(name, state);
    });
  }

  private async rebuild(name: string, state: AppState): Promise<void> {
    const batch = state.batch;
    state.batch = emptyBatch();
    const count = { built: 0, cached: 0 };
    this.counts.set(state.dir, count);
    this.emit({ type: 'building', app: name, files: batch.full ? [] : [...batch.changed, ...batch.removed].sort() });
    const started = performance.now();
    try {
      const options = batch.full ? { isDev: true } : { isDev: true, filesChanged: [...batch.changed], filesRemoved: [...batch.removed] };
      const [deployment] = await this.runtime.deploy(state.dir, options);
      this.emit({ type: 'ready', app: deployment?.app ?? name, deployment: deployment?.id ?? '', ms: Math.round(performance.now() - started), ...count });
    } catch (error) {
      const { code, message } = toHangarError(error);
      this.emit({ type: 'failed', app: name, error: { code, message } });
    } finally {
      this.counts.delete(state.dir);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.apps.values()) clearTimeout(state.timer);
    for (const timer of this.rechecks) clearTimeout(timer);
    await this.watcher?.close();
    await Promise.all([...this.apps.values()].map((state) => state.running));
  }
}

export class AppsWatcher implements Watcher {
  private readonly sessions = new Set<WatchHandle>();
  private readonly counts: Counts = new Map();

  constructor(private readonly runtime: EdgeRuntime) {
    runtime.hooks.afterBuild.tap('hangar:builders:watch', (job, outcome) => {
      const count = job.app.layer.baseDir && this.counts.get(job.app.layer.baseDir);
      if (count) count[outcome.cached ? 'cached' : 'built']++;
    });
  }

  async watch(appsDir: string, options: WatchOptions = {}): Promise<WatchHandle> {
    const { logger } = this.runtime;
    // The caller's onEvent is the display (the CLI prints it); failed deploys are already logged by the runtime.
    const emit = (event: WatchEvent): void => {
      logger.debug(event, `dev: ${event.app} ${event.type}`);
      options.onEvent?.(event);
    };
    const session = new WatchSession(this.runtime, resolve(appsDir), this.counts, emit, options.debounceMs ?? 50);
    this.sessions.add(session);
    try {
      await session.start();
    } catch (error) {
      await this.release(session);
      throw error;
    }
    return { close: () => this.release(session) };
  }

  private async release(session: WatchHandle): Promise<void> {
    this.sessions.delete(session);
    await session.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => this.release(session)));
  }
}
