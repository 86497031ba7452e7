// Removes esbuild's stand-in for an unbound `require`, so `typeof require` in an app is 'undefined', as in a browser.
//
// For a `require` it cannot resolve at build time, esbuild emits a `__require` function that throws when called; an
// app asking `typeof require` would see 'function'. Every `require('literal')` was already resolved into the bundle,
// so only dynamic requires reach the shim, and they fail either way. Newlines are kept, so the source map still fits.
const SHIM = /var __require = \/\* @__PURE__ \*\/ \(\(x\) => typeof require !== "undefined"[\s\S]*?\n {2}\}\);\n/;

export function withoutRequireShim(js: string): string {
  return js.replace(SHIM, (shim) => `var __require = void 0;${'\n'.repeat(shim.split('\n').length - 1)}`);
}
