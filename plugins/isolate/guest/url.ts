// URL and URLSearchParams: whatwg-url, the reference implementation of the WHATWG URL standard.
export { URL, URLSearchParams } from 'whatwg-url';
