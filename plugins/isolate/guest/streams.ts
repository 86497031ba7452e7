// The WHATWG streams family, from web-streams-polyfill, loaded on first use: bodies are ReadableStreams of Uint8Array.
import type * as Polyfill from 'web-streams-polyfill';
import { chunk, lazyClass } from './lazy-chunk.js';
import { refuseToClone } from './structured-clone.js';

/**
 * Most apps never make a stream (a string or bytes body is not one), and the polyfill is a third of the bootstrap:
 * compiled and allocated in every isolate, it cost ~0.24 MiB per tenant. It looks DOMException up on globalThis
 * once, as it loads, and finds ours (lazy-chunk.ts).
 */
const polyfill = chunk<typeof Polyfill>('streams');
polyfill.whenLoaded((exports) => refuseToClone(Object.values(exports as unknown as Record<string, Function>).map((constructor) => constructor.prototype as object)));

export const ByteLengthQueuingStrategy = lazyClass(polyfill, (exports) => exports.ByteLengthQueuingStrategy);
export const CountQueuingStrategy = lazyClass(polyfill, (exports) => exports.CountQueuingStrategy);
export const ReadableByteStreamController = lazyClass(polyfill, (exports) => exports.ReadableByteStreamController);
export const ReadableStream = lazyClass(polyfill, (exports) => exports.ReadableStream);
export const ReadableStreamBYOBReader = lazyClass(polyfill, (exports) => exports.ReadableStreamBYOBReader);
export const ReadableStreamBYOBRequest = lazyClass(polyfill, (exports) => exports.ReadableStreamBYOBRequest);
export const ReadableStreamDefaultController = lazyClass(polyfill, (exports) => exports.ReadableStreamDefaultController);
export const ReadableStreamDefaultReader = lazyClass(polyfill, (exports) => exports.ReadableStreamDefaultReader);
export const TransformStream = lazyClass(polyfill, (exports) => exports.TransformStream);
export const TransformStreamDefaultController = lazyClass(polyfill, (exports) => exports.TransformStreamDefaultController);
export const WritableStream = lazyClass(polyfill, (exports) => exports.WritableStream);
export const WritableStreamDefaultController = lazyClass(polyfill, (exports) => exports.WritableStreamDefaultController);
export const WritableStreamDefaultWriter = lazyClass(polyfill, (exports) => exports.WritableStreamDefaultWriter);

export type ByteLengthQueuingStrategy = Polyfill.ByteLengthQueuingStrategy;
export type CountQueuingStrategy = Polyfill.CountQueuingStrategy;
export type ReadableByteStreamController = Polyfill.ReadableByteStreamController;
export type ReadableStream<R = any> = Polyfill.ReadableStream<R>;
export type ReadableStreamBYOBReader = Polyfill.ReadableStreamBYOBReader;
export type ReadableStreamBYOBRequest = Polyfill.ReadableStreamBYOBRequest;
export type ReadableStreamDefaultController<R> = Polyfill.ReadableStreamDefaultController<R>;
export type ReadableStreamDefaultReader<R = any> = Polyfill.ReadableStreamDefaultReader<R>;
export type TransformStream<I = any, O = any> = Polyfill.TransformStream<I, O>;
export type TransformStreamDefaultController<O> = Polyfill.TransformStreamDefaultController<O>;
export type WritableStream<W = any> = Polyfill.WritableStream<W>;
export type WritableStreamDefaultController<W = any> = Polyfill.WritableStreamDefaultController<W>;
export type WritableStreamDefaultWriter<W = any> = Polyfill.WritableStreamDefaultWriter<W>;
