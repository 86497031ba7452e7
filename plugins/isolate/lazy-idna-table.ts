// An esbuild plugin for the bootstrap: tr46's IDNA mapping table answers ASCII lookups from a small part, loading the rest on first need.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/** tr46's table: sorted rows of `[codePoint | [first, last], status, mapping?]`. */
type Row = [number | [number, number], ...unknown[]];

const TABLE = /[\\/]tr46[\\/]lib[\\/]mappingTable\.json$/;
const FULL = 'hangar-idna-full';

/**
 * The rows a binary search for each ASCII code point visits. tr46 looks up every character of every host it
 * parses (so every `new URL()` of an http URL does), and hosts are nearly always ASCII: with these rows at
 * hand the 160 KB table, about 1.2 MiB of heap and several ms of each isolate's start, is left unbuilt.
 */
function asciiRows(table: Row[]): Record<number, Row> {
  const rows: Record<number, Row> = {};
  for (let codePoint = 0; codePoint < 0x80; codePoint++) {
    let start = 0;
    let end = table.length - 1;
    while (start <= end) {
      const mid = Math.floor((start + end) / 2);
      const row = table[mid]!;
      rows[mid] = row;
      const [min, max] = Array.isArray(row[0]) ? row[0] : [row[0], row[0]];
      if (min <= codePoint && max >= codePoint) break;
      if (min > codePoint) end = mid - 1;
      else start = mid + 1;
    }
  }
  return rows;
}

/**
 * The table becomes an array-like Proxy: rows precomputed for ASCII, any other row (whatever search tr46 does)
 * loads the full table, which esbuild keeps as a lazily evaluated module. Answers are the table's own rows, so
 * behaviour cannot differ; only when the memory is spent does.
 */
export function lazyIdnaTable(): Plugin {
  return {
    name: 'hangar:lazy-idna-table',
    setup(build) {
      build.onLoad({ filter: TABLE, namespace: 'file' }, async (args) => {
        const table = JSON.parse(await readFile(args.path, 'utf8')) as Row[];
        const contents = `
          var hot = ${JSON.stringify(asciiRows(table))};
          var full;
          module.exports = new Proxy([], {
            get: function (target, key) {
              if (key === 'length') return ${table.length};
              if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(hot, key)) return hot[key];
              if (!full) full = require(${JSON.stringify(`${FULL}:${args.path}`)});
              var value = full[key];
              return typeof value === 'function' ? value.bind(full) : value;
            },
          });`;
        return { contents, loader: 'js' };
      });
      build.onResolve({ filter: new RegExp(`^${FULL}:`) }, (args) => ({ path: args.path.slice(FULL.length + 1), namespace: FULL }));
      build.onLoad({ filter: /.*/, namespace: FULL }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'json' }));
    },
  };
}
