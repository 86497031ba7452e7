// atob and btoa, per the HTML standard's forgiving-base64 decode and encode (on binary strings).
import { DOMException } from './dom-exception.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));
const ASCII_WHITESPACE = /[\t\n\f\r ]/g;

export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('btoa: 1 argument required, but only 0 present');
  const text = String(data);
  let out = '';
  for (let i = 0; i < text.length; i += 3) {
    const a = text.charCodeAt(i);
    const b = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    const c = i + 2 < text.length ? text.charCodeAt(i + 2) : 0;
    if (a > 0xff || b > 0xff || c > 0xff) throw new DOMException('btoa: the string has a character outside of Latin-1', 'InvalidCharacterError');
    const bits = (a << 16) | (b << 8) | c;
    out += ALPHABET[bits >> 18]! + ALPHABET[(bits >> 12) & 63]!;
    out += i + 1 < text.length ? ALPHABET[(bits >> 6) & 63]! : '=';
    out += i + 2 < text.length ? ALPHABET[bits & 63]! : '=';
  }
  return out;
}

export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('atob: 1 argument required, but only 0 present');
  let text = String(data).replace(ASCII_WHITESPACE, '');
  if (text.length % 4 === 0) text = text.replace(/==?$/, '');
  const invalid = () => new DOMException('atob: the string is not valid base64', 'InvalidCharacterError');
  if (text.length % 4 === 1) throw invalid();
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = VALUES.get(char);
    if (value === undefined) throw invalid();
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return out;
}
