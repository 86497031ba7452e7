// The WHATWG streams family, from web-streams-polyfill: bodies are ReadableStreams of Uint8Array.
// First: the polyfill looks DOMException up on the global once, as it loads, and must find ours.
import './dom-exception.js';

export {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStream,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from 'web-streams-polyfill';
