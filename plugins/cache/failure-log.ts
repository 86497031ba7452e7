// Rate-limited logging of store failures: an outage logs an error when it starts and a summary when it ends, not one line per call.
import type { Logger } from 'pino';

export class FailureLog {
  private failing = false;
  private suppressed = 0;
  private lastLogged = 0;

  constructor(
    private readonly logger: Logger,
    /** Names the store in every line, e.g. `cache store redis://127.0.0.1:6379`. */
    private readonly label: string,
    private readonly everyMs = 10_000,
  ) {}

  /** A call failed: logs it when this starts an outage, or when the last line is older than `everyMs`. */
  failed(error: unknown, what: string): void {
    const now = Date.now();
    if (!this.failing || now - this.lastLogged >= this.everyMs) {
      this.logger.error({ err: error, store: this.label, suppressed: this.suppressed }, `${this.label}: ${what} failed, the cache answers as a miss: ${message(error)}`);
      this.lastLogged = now;
      this.suppressed = 0;
    } else {
      this.suppressed++;
    }
    this.failing = true;
  }

  /** A call succeeded: ends an outage, if one was going on. */
  succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info({ store: this.label, suppressed: this.suppressed }, `${this.label}: the store answers again`);
    this.suppressed = 0;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
