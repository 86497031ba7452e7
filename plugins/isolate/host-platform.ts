// The native side of one isolate's web platform (entropy, WebCrypto keys, zlib streams), freed with the isolate.
import type { PlatformHandlers } from './bridge.js';
import { HostCompression } from './host-compression.js';
import { HostCrypto, randomBytes } from './host-crypto.js';

export class PlatformHost {
  private readonly crypto = new HostCrypto();
  private readonly compression = new HostCompression();

  /** Spread into the isolate's BridgeHandlers. */
  readonly handlers: PlatformHandlers = {
    randomBytes,
    subtle: (method, args) => this.crypto.call(method, args),
    releaseKey: (handle) => this.crypto.release(handle),
    codec: (step) => this.compression.step(step),
    closeCodec: (id) => this.compression.close(id),
  };

  dispose(): void {
    this.crypto.dispose();
    this.compression.dispose();
  }
}
