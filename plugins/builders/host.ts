// The builder host: turns an app module into a Deployment, one build job per matched file, through the build cache.
import { createHash } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import picomatch from 'picomatch';
import type { BuildMeta, BuildResult } from '../../core/builder.js';
import { createDeployment, type Deployment } from '../../core/deployment.js';
import { ErrorCode, HangarError, toHangarError } from '../../core/errors.js';
import { download } from '../../core/files/download.js';
import type { Files } from '../../core/files/types.js';
import type { BuildJob } from '../../core/hooks.js';
import type { AppModule } from '../../core/layer.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { Tokens, type BuildAppOptions, type BuildHost } from '../../core/tokens.js';
import { BuildCache } from './cache.js';
import { digestFiles } from './digests.js';
import { jobError, withApp } from './errors.js';
import { mapLimit } from './limit.js';
import { builderRoutes, mergeOutputs, type JobResult } from './outputs.js';
import { planBuilds } from './plan.js';
import { BuilderResolver, type ResolvedBuilder } from './resolve-builder.js';
import { filesProblem, normalizeResult } from './validate.js';
import { Workspaces } from './workspace.js';

/** What one buildApp shares among its jobs. */
interface AppBuild {
  app: AppModule;
  /** A digest over every file's content, for the default fingerprint. */
  filesDigest: string;
  previous?: Map<string, JobResult>;
  touched?: (paths: readonly string[]) => boolean;
}

/** How many jobs of one build spec run at once. */
const JOB_CONCURRENCY = 4;

export class BuilderHost implements BuildHost {
  private readonly resolver: BuilderResolver;
  private readonly workspaces = new Workspaces();
  private cacheInstance?: BuildCache;
  /** The last successful jobs of each app, by `specIndex\0entrypoint`. */
  private readonly lastJobs = new Map<string, Map<string, JobResult>>();
  /** Jobs whose prepareCache files are already in their (kept) workPath: `workPath\0job`. */
  private readonly prepared = new Set<string>();
  /** The build in flight (or last) per app. */
  private readonly queues = new Map<string, Promise<Deployment>>();
  /** Per app, what changed since its last successful build, when that build failed: paths, or 'all'. */
  private readonly unbuilt = new Map<string, Set<string> | 'all'>();

  constructor(private readonly runtime: EdgeRuntime) {
    this.resolver = new BuilderResolver(runtime.hooks);
  }

  /** Opened on first use, so the cacheStore plugins are applied by then. */
  private get cache(): BuildCache {
    return (this.cacheInstance ??= new BuildCache(this.runtime.cacheStore('builds'), this.runtime.container.resolve(Tokens.BlobStore)));
  }

  /** Builds of one app run one at a time: they share its workspaces and its last jobs. */
  buildApp(app: AppModule, options: BuildAppOptions = {}): Promise<Deployment> {
    const run = (this.queues.get(app.name) ?? Promise.resolve()).catch(() => undefined).then(() => this.buildTracked(app, options));
    this.queues.set(app.name, run);
    return run;
  }

  /**
   * Changes seen by a failed build still count for the next one, since its jobs never became the app's last good
   * jobs; after a failed full build, the next build is full too.
   */
  private async buildTracked(app: AppModule, options: BuildAppOptions): Promise<Deployment> {
    const pending = this.unbuilt.get(app.name);
    const given = options.filesChanged && [...options.filesChanged, ...(options.filesRemoved ?? [])];
    const changed = given && pending !== 'all' ? [...given, ...(pending ?? [])] : undefined;
    try {
      const deployment = await this.build(app, options, changed);
      this.unbuilt.delete(app.name);
      return deployment;
    } catch (error) {
      this.unbuilt.set(app.name, changed ? new Set(changed) : 'all');
      throw error;
    }
  }

  private async build(app: AppModule, options: BuildAppOptions, changed: string[] | undefined): Promise<Deployment> {
    const files = await this.sources(app);
    const digests = await digestFiles(files);
    const planned = planBuilds(app.definition.builds ?? [], files);
    if (!planned.some((p) => p.entrypoints.length)) {
      const globs = planned.map((p) => p.spec.src).join(', ') || '(no builds)';
      throw new HangarError(ErrorCode.BUILD_FAILED, `app ${app.name} has nothing to build: no file matches its builds (${globs}); add an index.ts or a public/ folder, or fix "builds"`, { details: { app: app.name } });
    }
    const build: AppBuild = {
      app,
      filesDigest: createHash('sha256').update(JSON.stringify(digests)).digest('hex'),
      previous: changed ? this.lastJobs.get(app.name) : undefined,
      touched: changed && ((patterns) => {
        const matches = picomatch([...patterns], { dot: true });
        return changed.some((path) => matches(path));
      }),
    };
    const fromDirs = [app.layer.baseDir, process.cwd()].filter((dir): dir is string => !!dir);
    const local = app.definition.sources.find((source) => 'path' in source);
    const sourcePath = app.layer.baseDir && local && 'path' in local ? resolvePath(app.layer.baseDir, local.path) : undefined;
    // Settled, not raced: when one spec fails, the others finish before the deploy rejects (see mapLimit).
    const perSpec = await Promise.allSettled(
      planned.map(async ({ spec, index, entrypoints }) => {
        if (!entrypoints.length) return [];
        const resolved = await this.resolver.resolve(spec.use, fromDirs).catch((error: unknown) => {
          throw withApp(toHangarError(error, ErrorCode.BUILDER_UNKNOWN), app);
        });
        const sync = await this.workspaces.sync(`${app.name}\0${index}\0${spec.use}`, files, digests).catch((error: unknown) => {
          throw jobError(error, app, spec.use, entrypoints[0]!);
        });
        const meta: BuildMeta = { isDev: options.isDev ?? false, filesChanged: sync.filesChanged, filesRemoved: sync.filesRemoved };
        return mapLimit(entrypoints, JOB_CONCURRENCY, (entrypoint) =>
          this.runJob(build, `${index}\0${entrypoint}`, { app, use: spec.use, entrypoint, options: { files, entrypoint, workPath: sync.workPath, sourcePath, config: spec.config ?? {}, meta } }, resolved),
        );
      }),
    );
    const failed = perSpec.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const jobs = perSpec.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    const output = mergeOutputs(app, jobs);
    const definition = app.definition;
    const deployment = createDeployment({
      app: app.name,
      hostnames: definition.hostnames ?? [`${app.name.replace(/\//g, '-')}.localhost`],
      output,
      routes: definition.routes ?? [],
      builderRoutes: builderRoutes(app, jobs, files),
      env: definition.env ?? {},
      ...(definition.fetch ? { fetch: definition.fetch } : {}),
    });
    this.lastJobs.set(app.name, new Map(jobs.map((job) => [job.key, job])));
    return deployment;
  }

  /** The module's files: every source through `resolveSource`, later sources overriding earlier ones. */
  private async sources(app: AppModule): Promise<Files> {
    const files: Files = {};
    for (const source of app.definition.sources) {
      const resolved = await this.runtime.hooks.resolveSource.promise(source, { layer: app.layer, cwd: app.layer.baseDir ?? process.cwd() });
      if (!resolved) throw new HangarError(ErrorCode.NOT_FOUND, `app ${app.name}: no resolver understands the source ${JSON.stringify(source)}`, { details: { app: app.name } });
      Object.assign(files, resolved);
    }
    return files;
  }

  /**
   * One build job: in dev, an untouched job reuses its last result; otherwise beforeBuild, the fingerprint, then
   * the build cache or (on a miss) build and prepareCache, and afterBuild.
   */
  private async runJob(build: AppBuild, key: string, job: BuildJob, resolved: ResolvedBuilder): Promise<JobResult> {
    const last = build.previous?.get(key);
    if (last && last.resolved.builder === resolved.builder && !build.touched!([job.entrypoint, ...last.watch])) return { ...last, job };
    const { builder } = resolved;
    try {
      await this.runtime.hooks.beforeBuild.promise(job);
      const fingerprint = await this.fingerprint(build, job, resolved);
      let result = await this.cache.load(fingerprint);
      let raw: BuildResult | undefined;
      if (!result) {
        const preparedKey = `${build.app.name}\0${job.use}\0${job.entrypoint}`;
        await this.restorePrepared(preparedKey, job);
        raw = await builder.build(job.options);
        result = await this.cache.save(fingerprint, normalizeResult(raw, job.entrypoint));
        if (builder.prepareCache) {
          const kept = await builder.prepareCache({ ...job.options, buildResult: raw });
          const problem = filesProblem(kept);
          if (problem) throw new Error(`prepareCache() result ${problem}`);
          await this.cache.savePrepared(preparedKey, kept);
          this.prepared.add(`${job.options.workPath}\0${preparedKey}`);
        }
      }
      await this.runtime.hooks.afterBuild.promise(job, { result: raw ?? result, fingerprint, cached: !raw });
      return { ...result, key, job, resolved, fingerprint };
    } catch (error) {
      throw jobError(error, job.app, job.use, job.entrypoint);
    }
  }

  /** The builder's analyze() when it has one; else its identity and version, config, entrypoint and every file. */
  private async fingerprint(build: AppBuild, job: BuildJob, resolved: ResolvedBuilder): Promise<string> {
    const { files, entrypoint, workPath, config } = job.options;
    let basis = build.filesDigest;
    if (resolved.builder.analyze) {
      const analyzed = await resolved.builder.analyze({ files, entrypoint, workPath, config });
      if (typeof analyzed !== 'string') throw new Error(`analyze() returned ${typeof analyzed}; it must return a fingerprint string`);
      basis = `analyze:${analyzed}`;
    }
    return createHash('sha256').update(JSON.stringify([resolved.identity, job.use, config, entrypoint, basis])).digest('hex');
  }

  /** Writes the job's last prepareCache files into its workPath, unless that folder already holds them. */
  private async restorePrepared(key: string, job: BuildJob): Promise<void> {
    const marker = `${job.options.workPath}\0${key}`;
    if (this.prepared.has(marker)) return;
    const kept = await this.cache.loadPrepared(key);
    // Source files win over cached ones: the cache never rolls a source back.
    if (kept) await download(Object.fromEntries(Object.entries(kept).filter(([path]) => !(path in job.options.files))), job.options.workPath);
    this.prepared.add(marker);
  }

  async close(): Promise<void> {
    await this.workspaces.close();
  }
}
