// One request inside an isolate, from dispatch until its body is sent and its waitUntil work is done (or cut off).
import type { RequestContext } from '../../core/context.js';
import type { CpuAccount } from './cpu-meter.js';

/** What a scope tells its isolate (AppIsolate): one object per isolate, rather than closures per request. */
export interface ScopeOwner {
  /** The scope ended (called once). */
  scopeClosed(scope: RequestScope): void;
  /** Its waitUntil work was cut off at the limit, `pending` promises still unsettled. */
  scopeCutOff(scope: RequestScope, pending: number): void;
}

export class RequestScope {
  readonly requestId: string;
  /** fetch() calls counted against this request. */
  subrequests = 0;
  /** Host bodies held for this request (its own body, its fetch() responses), released when it ends. */
  private held?: Set<number>;
  private pending = 0;
  private answered = false;
  private bodySent = false;
  private closed = false;
  private cutOffTimer?: NodeJS.Timeout;
  private backgroundDone?: () => void;

  constructor(
    /** The number the guest knows the request by (RequestHead.seq). */
    readonly seq: number,
    private readonly context: RequestContext,
    /** Hops the request made through apps fetching apps (its x-hangar-depth). */
    readonly depth: number,
    readonly cpu: CpuAccount,
    private readonly waitUntilMs: number,
    private readonly owner: ScopeOwner,
  ) {
    this.requestId = context.requestId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The host bodies this request holds. */
  get bodies(): Iterable<number> {
    return this.held ?? [];
  }

  /** Holds a host body until the request ends. */
  hold(bodyId: number): void {
    (this.held ??= new Set()).add(bodyId);
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
      this.context.waitUntil(new Promise<void>((resolve) => (this.backgroundDone = resolve)));
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
    this.owner.scopeClosed(this);
  }

  private armCutOff(): void {
    if (this.closed || this.cutOffTimer || !this.answered || this.pending === 0) return;
    // Not unref'd: close() waits for background work, and the bound on that wait must fire even in an idle process.
    this.cutOffTimer = setTimeout(() => {
      this.owner.scopeCutOff(this, this.pending);
      this.close();
    }, this.waitUntilMs);
  }

  /**
   * The guest's outbox keeps its messages in order, so a waitUntil the guest reported before its last chunk (or its
   * answer) has already been counted here.
   */
  private settle(): void {
    if (this.bodySent && this.pending === 0) this.close();
  }
}
