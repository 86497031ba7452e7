// One request inside an isolate, from dispatch until its body is sent and its waitUntil work is done (or cut off).
import type { RequestContext } from '../../core/context.js';
import type { CpuAccount } from './cpu-meter.js';

export interface RequestScopeOptions {
  /** The number the guest knows the request by (RequestHead.seq). */
  seq: number;
  context: RequestContext;
  /** Hops the request made through apps fetching apps (its x-hangar-depth). */
  depth: number;
  cpu: CpuAccount;
  waitUntilMs: number;
  /** Called once, when the scope ends. */
  onClose(scope: RequestScope): void;
  /** Called when waitUntil work is cut off at the limit. */
  onCutOff(scope: RequestScope, pending: number): void;
}

export class RequestScope {
  readonly seq: number;
  readonly requestId: string;
  readonly depth: number;
  readonly cpu: CpuAccount;
  /** fetch() calls counted against this request. */
  subrequests = 0;
  /** Host bodies held for this request (its own body, its fetch() responses), released when it ends. */
  readonly bodies = new Set<number>();
  private readonly options: RequestScopeOptions;
  private pending = 0;
  private answered = false;
  private bodySent = false;
  private closed = false;
  private cutOffTimer?: NodeJS.Timeout;
  private backgroundDone?: () => void;

  constructor(options: RequestScopeOptions) {
    this.options = options;
    this.seq = options.seq;
    this.requestId = options.context.requestId;
    this.depth = options.depth;
    this.cpu = options.cpu;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The response head went out: waitUntil work has waitUntilMs from now. */
  headAnswered(): void {
    this.answered = true;
    this.armCutOff();
  }

  /** The response body was sent in full, failed, or there was none. */
  bodyFinished(): void {
    this.bodySent = true;
    this.answered = true;
    this.armCutOff();
    this.settle();
  }

  /** The guest's count of this request's waitUntil promises still pending. */
  setPending(count: number): void {
    if (this.closed) return;
    if (count > 0 && !this.backgroundDone) {
      // The kernel waits for it in close(), and it keeps the scope (and so the isolate) alive.
      this.options.context.waitUntil(new Promise<void>((resolve) => (this.backgroundDone = resolve)));
    }
    this.pending = count;
    this.armCutOff();
    this.settle();
  }

  /** Ends the scope now (the isolate is gone, or the request failed for good). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.cutOffTimer);
    this.cpu.close();
    this.backgroundDone?.();
    this.options.onClose(this);
  }

  private armCutOff(): void {
    if (this.closed || this.cutOffTimer || !this.answered || this.pending === 0) return;
    // Not unref'd: close() waits for background work, and the bound on that wait must fire even in an idle process.
    this.cutOffTimer = setTimeout(() => {
      this.options.onCutOff(this, this.pending);
      this.close();
    }, this.options.waitUntilMs);
  }

  /**
   * The guest's outbox keeps its messages in order, so a waitUntil the guest reported before its last chunk (or its
   * answer) has already been counted here.
   */
  private settle(): void {
    if (this.bodySent && this.pending === 0) this.close();
  }
}
