// Store keys for tenant data: each app's keys live under an unambiguous app prefix, so no key string reaches another app.

/** What an entry holds: `k` a tenant cache value, `h` a Cache API response set. */
export type EntryKind = 'k' | 'h';

/**
 * `<kind><app length>:<app>:<key>`. The length prefix is what makes the encoding unambiguous: an app name or a
 * key may contain any character (`:` included), yet no (app, key) pair encodes to another pair's string.
 */
export function entryKey(kind: EntryKind, app: string, key: string): string {
  return `${kind}${app.length}:${app}:${key}`;
}

/** The (kind, app, key) an entry key was made from, or undefined for anything else. */
export function parseEntryKey(stored: string): { kind: EntryKind; app: string; key: string } | undefined {
  const kind = stored[0];
  const colon = stored.indexOf(':');
  if ((kind !== 'k' && kind !== 'h') || colon < 2) return undefined;
  const length = Number(stored.slice(1, colon));
  const app = stored.slice(colon + 1, colon + 1 + length);
  if (!Number.isSafeInteger(length) || app.length !== length || stored[colon + 1 + length] !== ':') return undefined;
  return { kind, app, key: stored.slice(colon + 2 + length) };
}

/** The key of an app's tag set (shared stores keep one set of member keys per tag, so purge is exact). */
export function tagKey(app: string, tag: string): string {
  return `t${app.length}:${app}:${tag}`;
}
