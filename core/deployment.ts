// Deployment: the immutable result of building one app module; its id is the hash of its outputs.
import { createHash } from 'node:crypto';
import type { File } from './files/types.js';
import type { Lambda } from './files/lambda.js';
import type { Route } from './layer.js';

/** One output of a deployment: a static file (in the blob store) or a Lambda. */
export type Output = File | Lambda;

export interface Deployment {
  /** `sha256-<base64url>` over outputs, routes and env; equal content, equal id. */
  readonly id: string;
  /** The app it serves (see `appName`). */
  readonly app: string;
  readonly hostnames: readonly string[];
  /** Request path (no leading slash) → output. */
  readonly output: Readonly<Record<string, Output>>;
  readonly routes: readonly Route[];
  readonly env: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

export interface DeploymentInput {
  app: string;
  hostnames: string[];
  output: Record<string, Output>;
  routes: Route[];
  env: Record<string, string>;
}

/** The digest that identifies an output's content: a file's blob digest or a Lambda's digest. */
function outputDigest(path: string, output: Output): string {
  if (output.type === 'Lambda') {
    if (!output.digest) throw new Error(`output ${path}: a Lambda must come from createLambda (it has no digest)`);
    return output.digest;
  }
  if (output.type === 'FileRef') return output.digest;
  throw new Error(`output ${path}: files must be stored in the blob store (FileRef) before a deployment is made`);
}

export function createDeployment(input: DeploymentInput): Deployment {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ app: input.app, routes: input.routes, env: input.env, hostnames: [...input.hostnames].sort() }));
  for (const path of Object.keys(input.output).sort()) {
    hash.update(`\0${path}\0${outputDigest(path, input.output[path]!)}`);
  }
  return Object.freeze({
    id: `sha256-${hash.digest('base64url')}`,
    app: input.app,
    hostnames: Object.freeze([...input.hostnames]),
    output: Object.freeze({ ...input.output }),
    routes: Object.freeze([...input.routes]),
    env: Object.freeze({ ...input.env }),
    createdAt: Date.now(),
  });
}
