// performance (now, timeOrigin) and navigator (userAgent): the isolate's clock and the name its code sees.

let origin = Date.now();

/** Set by install(): the isolate's time origin is when it was set up, not when the bootstrap was compiled. */
export function startClock(): void {
  origin = Date.now();
}

/** Milliseconds since the time origin; whole milliseconds, as the isolate has no finer clock (and needs none). */
export function now(): number {
  return Date.now() - origin;
}

class Performance {
  now(): number {
    return now();
  }

  get timeOrigin(): number {
    return origin;
  }

  toJSON(): { timeOrigin: number } {
    return { timeOrigin: origin };
  }

  get [Symbol.toStringTag](): string {
    return 'Performance';
  }
}

class Navigator {
  readonly #userAgent: string;

  constructor(userAgent: string) {
    this.#userAgent = userAgent;
  }

  get userAgent(): string {
    return this.#userAgent;
  }

  get [Symbol.toStringTag](): string {
    return 'Navigator';
  }
}

export function createPerformance(): Performance {
  return new Performance();
}

export function createNavigator(userAgent: string): Navigator {
  return new Navigator(userAgent);
}
