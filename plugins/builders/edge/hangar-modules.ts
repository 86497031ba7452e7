// `import x from 'hangar:<name>'` in an app: resolved at build time to the isolate global of that name.
import type { Plugin } from 'esbuild';

const NAMESPACE = 'hangar-module';

/** Platform modules (such as `hangar:cache`) are installed as globals by plugins' bindings; the bundle reads them there. */
export const hangarModules: Plugin = {
  name: 'hangar:modules',
  setup(build) {
    build.onResolve({ filter: /^hangar:/ }, (args) => ({ path: args.path, namespace: NAMESPACE }));
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
      contents: `const value = globalThis[${JSON.stringify(args.path)}];\nif (value === undefined) throw new Error(${JSON.stringify(`${args.path} is not available: no plugin of this runtime provides it`)});\nexport default value;\n`,
      loader: 'js',
    }));
  },
};
