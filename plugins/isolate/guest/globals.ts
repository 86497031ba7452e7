// The web platform's globals (the WinterTC Minimum Common API, docs/compat.md), wired to this isolate's host.
import type { HostBridge, PlatformConfig } from '../protocol.js';
import { AbortController, AbortSignal, useTimer } from './abort.js';
import { atob, btoa } from './base64.js';
import { Blob, File } from './blob.js';
import { CompressionStream, DecompressionStream, useCompressionHost } from './compression.js';
import { createConsole } from './console.js';
import { createCrypto, Crypto, useRandomHost } from './crypto.js';
import { DOMException } from './dom-exception.js';
import { TextDecoder, TextEncoder } from './encoding.js';
import { CustomEvent, Event, EventTarget } from './event-target.js';
import { FormData } from './form-data.js';
import { Headers } from './headers.js';
import { createNavigator, createPerformance, startClock } from './performance.js';
import { queueMicrotask, reportError, reportTo } from './report.js';
import { Request } from './request.js';
import { Response } from './response.js';
import * as streams from './streams.js';
import { refuseToClone, structuredClone, useDetacher } from './structured-clone.js';
import { CryptoKey, SubtleCrypto, useSubtleHost } from './subtle.js';
import { TextDecoderStream, TextEncoderStream } from './text-streams.js';
import type { Timers } from './timers.js';
import { URL, URLSearchParams } from './url.js';
import { URLPattern } from './url-pattern.js';

/** Interfaces whose objects structuredClone copies; every other platform interface is refused (DataCloneError). */
const SERIALIZABLE = new Set<unknown>([Blob, File, DOMException, CryptoKey]);

/** The globals install() defines; the host-backed ones are bound to `bridge` here, once per isolate. */
export function platformGlobals(bridge: HostBridge, config: PlatformConfig, timers: Timers): Record<string, unknown> {
  reportTo((message) => bridge.log('error', message));
  startClock();
  useTimer((callback, ms) => timers.setTimeout(callback, ms));
  useRandomHost(bridge);
  useSubtleHost(bridge);
  useCompressionHost(bridge);
  useDetacher((buffer) => (new bridge.ExternalCopy(buffer, { transferOut: true }) as unknown as { release(): void }).release());

  const interfaces: Record<string, Function> = {
    AbortController,
    AbortSignal,
    Blob,
    CompressionStream,
    Crypto,
    CryptoKey,
    CustomEvent,
    DecompressionStream,
    DOMException,
    Event,
    EventTarget,
    File,
    FormData,
    Headers,
    Request,
    Response,
    SubtleCrypto,
    TextDecoder,
    TextDecoderStream,
    TextEncoder,
    TextEncoderStream,
  };
  refuseToClone(Object.values(interfaces).filter((constructor) => !SERIALIZABLE.has(constructor)).map((constructor) => constructor.prototype as object));
  // Loaded on first use (lazy-chunk.ts): reading their prototypes here would load them; they refuse cloning as they load.
  const lazyInterfaces: Record<string, Function> = { ...streams, URL, URLPattern, URLSearchParams };

  return {
    ...interfaces,
    ...lazyInterfaces,
    atob,
    btoa,
    console: createConsole(bridge),
    crypto: createCrypto(),
    navigator: createNavigator(config.userAgent ?? 'hangar'),
    performance: createPerformance(),
    queueMicrotask,
    reportError,
    structuredClone,
    setTimeout: timers.setTimeout,
    setInterval: timers.setInterval,
    clearTimeout: timers.clearTimeout,
    clearInterval: timers.clearTimeout,
    self: globalThis,
  };
}
