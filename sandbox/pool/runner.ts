import { availableParallelism } from 'node:os';
import { invalidOption, WorkerRunner, type WorkerRunnerOptions } from '../worker/runner.js';

/** How a {@link PooledRunner} is built. */
export interface PooledRunnerOptions extends WorkerRunnerOptions {
  /** Worker threads, each with its own QuickJS module. Defaults to `min(2, os.availableParallelism())`. */
  readonly workers?: number;
  /**
   * The fewest reports a `reduce` or `update` call must carry to be split over the workers; smaller
   * calls go whole to one worker, since below this the copies cost more than the threads gain.
   * Defaults to 2 000.
   */
  readonly minBatchReports?: number;
}

/**
 * `QuickJsRunner` over several worker threads: every plugin is loaded in every thread, and a large
 * `reduce` or `update` call is split over them (see `WorkerRunner` for how, and for what stays equal
 * to a `QuickJsRunner`). Each thread has the same watchdog as `QuickJsRunner`'s one.
 * `bench/README.md` ("Worker pool") measured 1.3× on two cores for large batches.
 */
export class PooledRunner extends WorkerRunner {
  constructor(options: PooledRunnerOptions = {}) {
    const workers = options.workers ?? Math.min(2, availableParallelism());
    const minBatchReports = options.minBatchReports ?? 2_000;
    if (!Number.isInteger(workers) || workers < 1) throw invalidOption('quickjs-pool', 'workers', workers, 'must be a positive integer');
    if (!(minBatchReports >= 0)) throw invalidOption('quickjs-pool', 'minBatchReports', minBatchReports, 'must be a number of at least 0');
    super('quickjs-pool', options, { workers, minBatchReports });
  }
}
