// URL and URLSearchParams: whatwg-url, the reference implementation of the WHATWG URL standard, loaded on first use.
import type * as WhatwgUrl from 'whatwg-url';
import { chunk, lazyClass } from './lazy-chunk.js';
import { refuseToClone } from './structured-clone.js';

/**
 * The host parses a request's URL before the app sees it (request.ts: requestFromHost), so an app that never
 * parses one itself never needs whatwg-url, half of what was left of the bootstrap (~0.29 MiB per tenant). The
 * first `new URL()` in an isolate loads it (~1 ms of that request).
 */
const whatwgUrl = chunk<typeof WhatwgUrl>('url');
whatwgUrl.whenLoaded((exports) => refuseToClone([exports.URL.prototype, exports.URLSearchParams.prototype]));

export const URL = lazyClass(whatwgUrl, (exports) => exports.URL);
export const URLSearchParams = lazyClass(whatwgUrl, (exports) => exports.URLSearchParams);
export type URL = WhatwgUrl.URL;
export type URLSearchParams = WhatwgUrl.URLSearchParams;
