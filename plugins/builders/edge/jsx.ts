// An esbuild plugin that points `hangar/jsx-runtime` at Hangar's HTML-string JSX runtime, bundled into the app.
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

export const JSX_IMPORT_SOURCE = 'hangar';

// From source the runtime is a .ts file, from the build a .js file beside this one.
const RUNTIME = fileURLToPath(new URL(`./jsx-runtime${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

export const jsxRuntime: Plugin = {
  name: 'hangar:jsx-runtime',
  setup(build) {
    build.onResolve({ filter: /^hangar\/jsx(-dev)?-runtime$/ }, () => ({ path: RUNTIME }));
  },
};
