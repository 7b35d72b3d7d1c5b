/** The only source of time in edgesum: injected so tests and simulations are deterministic. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests, simulations and the demo. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.parse('2026-11-24T10:00:00Z')) {}

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }

  /** Sets the clock to an absolute time. */
  set(ms: number): void {
    this.current = ms;
  }
}

/** RFC 3339 in UTC, as every timestamp edgesum writes. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A repeating task: `stop` ends it and resolves once a step in progress has finished. */
export interface Repeating {
  stop(): Promise<void>;
}

/**
 * Runs a node's work every so often: the port through which a served node schedules itself, so
 * tests can drive the same loop by hand.
 */
export interface Scheduler {
  /** Runs `step` every `ms`; a step never starts while the previous one still runs. */
  every(ms: number, step: () => Promise<void>): Repeating;
}

/** The wall clock's scheduler: one timer, and a step that runs late is not run twice. */
export const systemScheduler: Scheduler = {
  every(ms, step) {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      running ??= step().finally(() => (running = undefined));
    }, ms);
    return {
      async stop() {
        clearInterval(timer);
        await running;
      },
    };
  },
};
