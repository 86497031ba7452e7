// tr46 in the bootstrap's URL chunk: ASCII hosts skip UTS46 processing, and its IDNA data stays on the host until a host needs it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';
import ivm from 'isolated-vm';

const INDEX = /[\\/]tr46[\\/]index\.js$/;
const DATA = /[\\/]tr46[\\/]lib[\\/](mappingTable\.json|regexes\.js)$/;
/** The bootstrap wrapper's local that loads a tr46 data module by file name (withIdnaLoader). */
export const IDNA_LOADER = '__hangar_idna__';

/**
 * The URL standard's "domain to ASCII" says that when beStrict is false, the domain is ASCII, and no label starts
 * with "xn--" (ASCII case-insensitively), UTS46 ToASCII is the same as ASCII lowercasing. whatwg-url calls tr46 for
 * every host it parses (every `new URL()` of an http URL), and the full processing was most of a request's guest CPU.
 */
const ASCII_FAST_PATH = `
  var processAll = module.exports.toASCII;
  module.exports.toASCII = function (domainName, options) {
    if (options && !options.checkHyphens && !options.useSTD3ASCIIRules && !options.verifyDNSLength &&
        /^[\\x00-\\x7f]*$/.test(domainName) && !/(?:^|\\.)xn--/i.test(domainName)) return domainName.toLowerCase();
    return processAll(domainName, options);
  };`;

/**
 * The IDNA table (141 KB of source, about 1.2 MiB of heap once built) and tr46's Unicode regexes (71 KB) become
 * Proxies that load them on first use; with the ASCII fast path only a host with non-ASCII characters or an "xn--"
 * label makes one. Their text is left out of the bootstrap, whose source every isolate keeps a copy of: it waits in
 * one ExternalCopy on the host (idnaData). Answers are the modules' own.
 */
const LAZY_MODULE = (file: string) => `
  var full;
  module.exports = new Proxy([], {
    get: function (target, key) {
      if (!full) full = ${IDNA_LOADER}(${JSON.stringify(file)});
      var value = full[key];
      return typeof value === 'function' ? value.bind(full) : value;
    },
  });`;

/** Wraps the bundle: binds the loader the data modules call to the host's ExternalCopy of their data. */
export function withIdnaLoader(bundle: string): string {
  return `var ${IDNA_LOADER} = (function (copy) {
  var data;
  return function (file) {
    data = data || JSON.parse(copy.copy());
    if (file === 'mappingTable.json') return data.table;
    var regexes = {};
    for (var name in data.regexes) regexes[name] = new RegExp(data.regexes[name][0], data.regexes[name][1]);
    return regexes;
  };
})(idnaData);
${bundle}`;
}

let data: Promise<ivm.ExternalCopy<string>> | undefined;

/** tr46's table and regexes as one JSON text, made once per process; every isolate's bootstrap gets a handle to it. */
export function idnaData(): Promise<ivm.ExternalCopy<string>> {
  data ??= (async () => {
    const require = createRequire(createRequire(import.meta.url).resolve('whatwg-url'));
    const lib = join(dirname(require.resolve('tr46')), 'lib');
    const table = await readFile(join(lib, 'mappingTable.json'), 'utf8');
    const regexes = Object.entries(require(join(lib, 'regexes.js')) as Record<string, RegExp>).map(([name, regex]) => [name, [regex.source, regex.flags]]);
    return new ivm.ExternalCopy(`{"table":${table},"regexes":${JSON.stringify(Object.fromEntries(regexes))}}`);
  })().catch((error: unknown) => {
    data = undefined;
    throw error;
  });
  return data;
}

export function lazyIdnaTable(): Plugin {
  return {
    name: 'hangar:lazy-idna-table',
    setup(build) {
      build.onLoad({ filter: INDEX, namespace: 'file' }, async (args) => ({
        contents: (await readFile(args.path, 'utf8')) + ASCII_FAST_PATH,
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
      build.onLoad({ filter: DATA, namespace: 'file' }, (args) => ({ contents: LAZY_MODULE(DATA.exec(args.path)![1]!), loader: 'js' }));
    },
  };
}
