// Plans an app's build jobs: each file matched by a `builds[].src` glob is its own job.
import picomatch from 'picomatch';
import type { Files } from '../../core/files/types.js';
import type { BuildSpec } from '../../core/layer.js';

export interface PlannedSpec {
  spec: BuildSpec;
  /** Position in `builds`, which keys the spec's workspace and orders its outputs. */
  index: number;
  entrypoints: string[];
}

export function planBuilds(specs: readonly BuildSpec[], files: Files): PlannedSpec[] {
  const paths = Object.keys(files).sort();
  return specs.map((spec, index) => {
    const matches = picomatch(spec.src.replace(/^\/+/, ''), { dot: true });
    return { spec, index, entrypoints: paths.filter((path) => matches(path)) };
  });
}
