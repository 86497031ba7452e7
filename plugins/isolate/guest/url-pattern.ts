// URLPattern: urlpattern-polyfill, which follows the URLPattern standard on top of the URL global (whatwg-url here).
export { URLPattern } from 'urlpattern-polyfill/urlpattern';
