// What an app's finished jobs add up to: their merged outputs, and their routes as second-pass groups.
import { posix } from 'node:path';
import type { BuilderRoutes, Output } from '../../core/deployment.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Files } from '../../core/files/types.js';
import type { BuildJob } from '../../core/hooks.js';
import type { AppModule } from '../../core/layer.js';
import { jobError } from './errors.js';
import type { ResolvedBuilder } from './resolve-builder.js';
import type { NormalizedResult } from './validate.js';

/** One finished job, kept per app so a dev rebuild can reuse the jobs a change did not touch. */
export interface JobResult extends NormalizedResult {
  /** `specIndex\0entrypoint`. */
  key: string;
  job: BuildJob;
  resolved: ResolvedBuilder;
  fingerprint: string;
}

/** Merges job outputs; two jobs writing one path is a configuration mistake, reported with both entrypoints. */
export function mergeOutputs(app: AppModule, jobs: readonly JobResult[]): Record<string, Output> {
  const output: Record<string, Output> = {};
  const owner = new Map<string, string>();
  for (const { job, output: produced } of jobs) {
    for (const [path, item] of Object.entries(produced)) {
      const first = owner.get(path);
      if (first !== undefined) {
        throw new HangarError(ErrorCode.BUILD_FAILED, `app ${app.name}: both ${first} and ${job.entrypoint} build the output ${path}; change "builds" so only one does`, {
          details: { app: app.name, output: path },
        });
      }
      owner.set(path, job.entrypoint);
      output[path] = item;
    }
  }
  return output;
}

/** The request paths the default shouldServe gives a job: its entrypoint, and for an index.* its folder. */
function entrypointPaths(entrypoint: string): string[] {
  const { dir, name } = posix.parse(entrypoint);
  return name === 'index' ? [entrypoint, dir] : [entrypoint];
}

/**
 * Builder routes as second-pass groups. A group serves its job's outputs and entrypoint (the default shouldServe);
 * a builder's own shouldServe is asked at request time for any other path.
 */
export function builderRoutes(app: AppModule, jobs: readonly JobResult[], files: Files): BuilderRoutes[] {
  return jobs
    .filter((result) => result.routes.length)
    .map(({ job, resolved, output, routes }) => {
      const custom = resolved.builder.shouldServe?.bind(resolved.builder);
      const group: BuilderRoutes = {
        use: job.use,
        entrypoint: job.entrypoint,
        paths: [...new Set([...Object.keys(output), ...entrypointPaths(job.entrypoint)])].sort(),
        routes,
      };
      if (custom) {
        const { entrypoint, workPath, config } = job.options;
        group.shouldServe = async (requestPath) => {
          try {
            return await custom({ requestPath, entrypoint, files, workPath, config });
          } catch (error) {
            throw jobError(error, app, job.use, entrypoint);
          }
        };
      }
      return group;
    });
}
