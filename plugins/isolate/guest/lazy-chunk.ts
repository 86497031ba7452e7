// Platform code loaded on first use: an isolate whose app never touches a chunk never compiles or allocates it.
import { DOMException } from './dom-exception.js';
import { TextDecoder, TextEncoder } from './encoding.js';

/** What a chunk's libraries look up as free names (bootstrap.ts: CHUNK_PLATFORM): the platform's own, whatever the app did to the global. */
interface ChunkPlatform {
  globalThis: { DOMException: typeof DOMException };
  TextEncoder: typeof TextEncoder;
  TextDecoder: typeof TextDecoder;
  idna: typeof __hangar_idna__;
}

/** The bootstrap wrapper's loader (bootstrap.ts): the host compiles the chunk in this isolate and hands back its factory. */
declare const __hangar_chunk__: (name: string) => (platform: ChunkPlatform) => unknown;
/** The bootstrap wrapper's loader of tr46's data (lazy-idna-table.ts), which the URL chunk uses. */
declare const __hangar_idna__: (file: string) => unknown;

/** Platform code loaded on first use. */
export interface Chunk<T> {
  /** Its exports, loading it the first time. */
  exports(): T;
  /** Runs `then` with its exports as it loads (at once if it has). */
  whenLoaded(then: (exports: T) => void): void;
}

export function chunk<T>(name: string): Chunk<T> {
  let exports: T | undefined;
  const waiting: ((exports: T) => void)[] = [];
  return {
    exports() {
      if (exports === undefined) {
        exports = __hangar_chunk__(name)({ globalThis: { DOMException }, TextEncoder, TextDecoder, idna: __hangar_idna__ }) as T;
        for (const then of waiting.splice(0)) then(exports);
      }
      return exports;
    },
    whenLoaded(then) {
      if (exports === undefined) waiting.push(then);
      else then(exports);
    },
  };
}

const notLoaded = (): boolean => false;

/** The Proxy traps that read or change the class itself: each loads the chunk first, then acts on the stand-in. */
const REFLECTING = ['get', 'set', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'defineProperty', 'deleteProperty', 'getPrototypeOf', 'setPrototypeOf', 'isExtensible', 'preventExtensions'] as const;
/** Reflect as the bootstrap found it: an app that replaces Reflect's functions changes nothing here. */
const reflect = Object.freeze({ ...Object.fromEntries(REFLECTING.map((trap) => [trap, Reflect[trap]])), apply: Reflect.apply, construct: Reflect.construct }) as typeof Reflect;

/**
 * A class of a chunk, usable before the chunk is loaded: constructing it, or reading anything of it, loads the
 * chunk; `instanceof` does not (nothing can be an instance before it is loaded). When the chunk loads, by
 * whichever of its classes, the Proxy's stand-in takes the class's own properties and prototype chain, and the
 * class's prototype takes the Proxy as its `constructor`: from then on the Proxy answers as the class
 * (prototype, statics, `instanceof`, subclassing, freezing) and `stream.constructor === ReadableStream` holds.
 */
export function lazyClass<T, C extends Function>(from: Chunk<T>, pick: (exports: T) => C): C {
  let loaded: C | undefined;
  const stand = function () {} as unknown as C;
  const real = (): C => loaded ?? pick(from.exports());
  const handler: ProxyHandler<C> = {
    apply: (_, self, args) => reflect.apply(real(), self, args),
    construct: (_, args, newTarget) => reflect.construct(real(), args, newTarget === proxy ? real() : newTarget),
  };
  for (const trap of REFLECTING) {
    (handler as Record<string, unknown>)[trap] = (...args: unknown[]) => {
      if (!loaded) from.exports();
      return (reflect[trap] as (...args: unknown[]) => unknown)(...args);
    };
  }
  const reflectGet = handler.get!;
  handler.get = (target, key, receiver) => (key === Symbol.hasInstance && !loaded ? notLoaded : reflectGet(target, key, receiver));
  const proxy: C = new Proxy(stand, handler);
  from.whenLoaded((exports) => {
    loaded = pick(exports);
    for (const key of reflect.ownKeys(loaded)) reflect.defineProperty(stand, key, reflect.getOwnPropertyDescriptor(loaded, key)!);
    reflect.setPrototypeOf(stand, reflect.getPrototypeOf(loaded));
    reflect.defineProperty(loaded.prototype, 'constructor', { value: proxy, writable: true, configurable: true, enumerable: false });
  });
  return proxy;
}
