// For the Cache API's ignoreSearch: per URL without its query, the queries stored, so a match or delete can find them all.
import type { CacheBackend } from './backend.js';
import type { Entry } from './entry.js';
import type { StoreGuard } from './guard.js';

/** The queries an index keeps per URL (the most recently stored); older ones are no longer found by ignoreSearch. */
const MAX_SEARCHES = 64;

/** A cache URL (see cacheUrl) split into the URL without its query and the query (`?…`, or '' for none). */
export function splitSearch(url: string): { base: string; search: string } {
  const at = url.indexOf('?');
  return at < 0 ? { base: url, search: '' } : { base: url.slice(0, at), search: url.slice(at) };
}

/**
 * The index lives in an entry of its own beside the responses, under the entry key of the URL without its query
 * followed by ' ?': a parsed URL never holds a space, so no response key is ever an index key. Like the variants of
 * one URL, it is read, changed and written back: two nodes storing two queries of one URL at once may leave one
 * out, which only keeps that response from ignoreSearch until it is stored again.
 */
export class SearchIndex {
  constructor(
    private readonly app: string,
    private readonly backend: CacheBackend,
    private readonly guard: StoreGuard,
  ) {}

  /** The index key for the URL whose key without its query is `baseKey`. */
  static key(baseKey: string): string {
    return `${baseKey} ?`;
  }

  /** The queries stored for the URL, most recent last. */
  async searches(indexKey: string): Promise<string[]> {
    return searchesOf(await this.read(indexKey));
  }

  /** Records that a response for `search` was stored until `expires` (ms since the epoch). */
  async add(indexKey: string, search: string, expires: number): Promise<void> {
    const entry = await this.read(indexKey);
    const searches = [...searchesOf(entry).filter((known) => known !== search), search].slice(-MAX_SEARCHES);
    const until = Math.max(expires, entry?.x ?? 0);
    await this.guard.run('a Cache API write', () => this.backend.write(this.app, indexKey, { v: JSON.stringify(searches), x: until }), false);
  }

  private async read(indexKey: string): Promise<Entry | undefined> {
    const [entry] = await this.guard.run('a Cache API read', () => this.backend.read([indexKey]), [undefined]);
    return entry;
  }
}

function searchesOf(entry: Entry | undefined): string[] {
  if (!entry) return [];
  try {
    const searches = JSON.parse(entry.v) as unknown;
    return Array.isArray(searches) ? searches.filter((search): search is string => typeof search === 'string' && search.startsWith('?')) : [];
  } catch {
    return [];
  }
}
