// URLPattern: urlpattern-polyfill, which follows the URLPattern standard on top of the URL global (whatwg-url here).
import type * as Polyfill from 'urlpattern-polyfill/urlpattern';
import { chunk, lazyClass } from './lazy-chunk.js';
import { refuseToClone } from './structured-clone.js';

/** Loaded on first use: few apps match patterns, and loading it built regexes and tables in every isolate. */
const polyfill = chunk<typeof Polyfill>('url-pattern');
polyfill.whenLoaded((exports) => refuseToClone([exports.URLPattern.prototype]));

export const URLPattern = lazyClass(polyfill, (exports) => exports.URLPattern);
export type URLPattern = Polyfill.URLPattern;
