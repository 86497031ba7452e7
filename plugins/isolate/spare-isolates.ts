// Spare isolates with the bootstrap run and the platform installed, kept ready so that a tenant's cold start skips that work.
import type { EdgeRuntime } from '../../core/runtime.js';
import { GuestIsolate, type CatastropheHandler } from './guest-isolate.js';
import { platformConfig } from './limits.js';
import type { PlatformConfig } from './protocol.js';

export interface SpareOptions {
  /** How many to keep ready; 0 turns spares off. */
  count: number;
  /** Heap limit they are made with; an app with another limit starts from a new isolate. */
  memoryMb: number;
  /** Time the bootstrap may take in one. */
  timeoutMs: number;
  /** What their platform is installed with. */
  platform: PlatformConfig;
  /** A spare that could not be made (the next take() tries again). */
  onError(error: unknown): void;
  /** A V8 failure in a spare not yet handed out. */
  onCatastrophe: CatastropheHandler;
}

/** How long after a take the replacement is made: past the rest of the cold start that took the spare. */
const REFILL_DELAY_MS = 15;

export class SpareIsolates {
  private readonly ready: GuestIsolate[] = [];
  private filling = false;
  private closed = false;

  constructor(private readonly options: SpareOptions) {}

  /** A ready spare for an app whose heap limit is `memoryMb`, if there is one; a replacement is made in the background. */
  take(memoryMb: number): GuestIsolate | undefined {
    if (memoryMb !== this.options.memoryMb) return undefined;
    const spare = this.ready.shift();
    // Later: the cold start that took the spare must not share the CPU (and the main thread, where an isolate is
    // created) with the spare that replaces it.
    this.fill(REFILL_DELAY_MS);
    return spare;
  }

  /** Makes spares, one at a time so that refilling never competes with requests more than one isolate's worth. */
  fill(delayMs = 0): void {
    if (this.filling || this.closed || this.ready.length >= this.options.count) return;
    this.filling = true;
    setTimeout(async () => {
      try {
        while (!this.closed && this.ready.length < this.options.count) {
          const spare = await GuestIsolate.create(this.options.memoryMb, this.options.timeoutMs, this.options.platform, this.options.onCatastrophe);
          if (this.closed) spare.dispose();
          else this.ready.push(spare);
        }
      } catch (error) {
        this.options.onError(error);
      } finally {
        this.filling = false;
      }
    }, delayMs).unref();
  }

  close(): void {
    this.closed = true;
    for (const spare of this.ready.splice(0)) spare.dispose();
  }
}

const DEFAULT_SPARES = 2;

/** How many spares each process keeps, from the runtime's options. */
export function spareCount(runtime: EdgeRuntime): number {
  return Math.max(0, Math.floor(runtime.options.executor?.spareIsolates ?? DEFAULT_SPARES));
}

/** The spares the runtime's options ask for, made with its default heap limit. */
export function sparesFor(runtime: EdgeRuntime): SpareIsolates {
  return new SpareIsolates({
    count: spareCount(runtime),
    memoryMb: Math.max(8, runtime.limits.memoryMb),
    timeoutMs: runtime.limits.wallMs,
    platform: platformConfig(runtime),
    onError: (error) => runtime.logger.error({ err: error }, 'a spare isolate could not be made; cold starts make their own'),
    onCatastrophe: (message) => runtime.logger.fatal({ message }, 'isolated-vm reported a catastrophic error in a spare isolate; restart the process when convenient'),
  });
}
