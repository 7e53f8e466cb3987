/** Injected time source, so timeouts, retry delays and leases are testable without sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Node fires a timer over 2^31-1 ms at once (TimeoutOverflowWarning): a long wait (a 60-day
    // training timeout) is a chain of shorter timers, each re-armed for what is left.
    const due = Date.now() + ms;
    let t: ReturnType<typeof setTimeout>;
    const arm = (left: number) => {
      t = setTimeout(() => {
        const rest = due - Date.now();
        if (rest > 0) arm(rest);
        else fn();
      }, Math.min(Math.max(0, left), MAX_TIMER_MS));
      t.unref?.();
    };
    arm(ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** The logging subset Regatta uses; pino satisfies it, tests can pass a silent one. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
