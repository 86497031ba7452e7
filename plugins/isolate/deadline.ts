// A wall-clock deadline: races work against the time left and says when it ran out.
import { ErrorCode, HangarError } from '../../core/errors.js';

interface Race {
  /** performance.now() at which it expires. */
  at: number;
  expire(): void;
}

/**
 * Every race in the process shares one Node timer, due at the earliest expiry: a timer set and cleared per request
 * cost more host time than the rest of the isolate's bookkeeping. The timer holds the process open only while a race
 * is on, as a timer per race did.
 */
const races = new Set<Race>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Infinity;

function arm(at: number): void {
  if (timer && timerAt <= at) {
    timer.ref();
    return;
  }
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(fire, Math.max(1, Math.ceil(at - performance.now())));
}

function fire(): void {
  timer = undefined;
  timerAt = Infinity;
  // Node's timers run on the loop's cached clock and may fire a little early: an unexpired race re-arms the timer.
  const now = performance.now();
  const expired: Race[] = [];
  let next = Infinity;
  for (const race of races) {
    if (race.at <= now) expired.push(race);
    else next = Math.min(next, race.at);
  }
  for (const race of expired) races.delete(race);
  if (next < Infinity) arm(next);
  for (const race of expired) race.expire();
}

function leave(race: Race): void {
  races.delete(race);
  if (races.size === 0) timer?.unref();
}

export class Deadline {
  readonly startedAt = performance.now();

  constructor(
    readonly ms: number,
    private readonly app: string,
  ) {}

  /** performance.now() at which it expires. */
  get at(): number {
    return this.startedAt + this.ms;
  }

  /** Time left, ms; at least 1, since isolated-vm reads a 0 timeout as "none". */
  remaining(): number {
    return Math.max(1, Math.ceil(this.startedAt + this.ms - performance.now()));
  }

  expired(): HangarError {
    return new HangarError(ErrorCode.LIMIT_WALL_TIME, `app ${this.app} did not answer within its wall-time limit of ${this.ms} ms`, {
      details: { app: this.app, limitMs: this.ms },
    });
  }

  /** Settles with `work`, or rejects with LIMIT_WALL_TIME once the time is up, after calling `onExpire`. */
  race<T>(work: Promise<T>, onExpire: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const race: Race = {
        at: performance.now() + this.remaining(),
        expire: () => {
          onExpire();
          reject(this.expired());
        },
      };
      races.add(race);
      arm(race.at);
      work.then(
        (value) => (leave(race), resolve(value)),
        (error: unknown) => (leave(race), reject(error)),
      );
    });
  }
}
