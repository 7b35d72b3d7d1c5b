/**
 * The worker-pool experiment, built before `PooledRunner`: each worker thread runs its own QuickJS
 * engine; the host deals chunks of report JSON text to whichever worker is free, gathers each
 * worker's merged accumulators, and lets one worker merge and finish.
 */
import { Worker } from 'node:worker_threads';
import type { Json } from '../core/contract.js';
import { ErrorCodes, PluginThrewError } from '../core/errors.js';
import { workerModule, type PluginLimits } from '../sandbox/index.js';
import { reducerNames, type ReducerName, type Summaries } from './workload.js';

/** What the host asks a pool worker. */
export type PoolRequest =
  | { readonly type: 'init'; readonly limits: PluginLimits }
  | { readonly type: 'chunk'; readonly text: string; readonly keep: boolean }
  | { readonly type: 'collect' }
  | { readonly type: 'finish'; readonly accs: Record<ReducerName, Json[]> }
  | { readonly type: 'close' };

/** What a pool worker answers, one reply per request, in order. */
export type PoolReply =
  | { readonly type: 'ready' | 'done' | 'closed' }
  | { readonly type: 'accs'; readonly accs: Record<ReducerName, Json> }
  | { readonly type: 'summaries'; readonly summaries: Summaries }
  | { readonly type: 'failed'; readonly message: string };

class PoolWorker {
  private readonly worker = new Worker(workerModule(import.meta.url, 'pool-worker'));
  private readonly pending: { resolve: (reply: PoolReply) => void; reject: (error: unknown) => void }[] = [];
  /** Why the worker is gone; a request to a gone worker would wait forever. */
  private gone: unknown;

  constructor(readonly id: number) {
    this.worker.on('message', (reply: PoolReply) => {
      const waiter = this.pending.shift();
      if (reply.type === 'failed') waiter?.reject(new PluginThrewError(ErrorCodes.PluginThrew, `bench: pool worker ${id} failed: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new PluginThrewError(ErrorCodes.PluginThrew, `bench: pool worker ${id} exited with code ${code}`)));
  }

  request(message: PoolRequest): Promise<PoolReply> {
    return new Promise((resolve, reject) => {
      if (this.gone !== undefined) return reject(this.gone);
      this.pending.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private failAll(error: unknown): void {
    this.gone ??= error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}

/** A pool of worker threads, one QuickJS module each. */
export class QuickJsPool {
  private constructor(private readonly workers: readonly PoolWorker[]) {}

  /** Starts `size` workers and loads both reducers in each. */
  static async start(size: number, limits: PluginLimits): Promise<QuickJsPool> {
    const workers = Array.from({ length: size }, (_, id) => new PoolWorker(id));
    const pool = new QuickJsPool(workers);
    try {
      await Promise.all(workers.map((worker) => worker.request({ type: 'init', limits })));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Boots every worker's runtimes and warms its JIT with chunks whose results are dropped. */
  async warm(texts: readonly string[]): Promise<void> {
    await Promise.all(this.workers.map(async (worker) => {
      for (const text of texts) await worker.request({ type: 'chunk', text, keep: false });
    }));
  }

  /** One pass: every chunk reduced by some worker, then merged and finished inside worker 0. */
  async run(chunks: readonly string[]): Promise<Summaries> {
    let next = 0;
    // Two requests in flight per worker, so a worker finds its next chunk queued when it finishes one.
    const lane = async (worker: PoolWorker) => {
      while (next < chunks.length) await worker.request({ type: 'chunk', text: chunks[next++]!, keep: true });
    };
    await Promise.all(this.workers.flatMap((worker) => [lane(worker), lane(worker)]));
    const parts = await Promise.all(this.workers.map((worker) => worker.request({ type: 'collect' })));
    const accs: Record<ReducerName, Json[]> = { health: [], 'version-histogram': [] };
    for (const part of parts) if (part.type === 'accs') for (const name of reducerNames) accs[name].push(part.accs[name]);
    const reply = await this.workers[0]!.request({ type: 'finish', accs });
    if (reply.type !== 'summaries') throw new PluginThrewError(ErrorCodes.PluginThrew, `bench: pool worker 0 answered ${reply.type} to finish`);
    return reply.summaries;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.request({ type: 'close' })));
    await Promise.allSettled(this.workers.map((worker) => worker.terminate()));
  }
}

/**
 * The speedup two threads get at this moment on pure JavaScript work: what a two-worker pool could
 * show at best on this machine right now. On a shared machine, other processes take cores away; the
 * pool's own speedup is judged against this, not against 2.
 */
export async function twoThreadControl(iterations: number): Promise<number> {
  const code = [
    "const { parentPort, workerData } = require('node:worker_threads');",
    'let x = 0;',
    'for (let i = 0; i < workerData; i++) x = (x + i * 7) % 1000003;',
    'parentPort.postMessage(x);',
  ].join('\n');
  const spin = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: iterations });
      worker.once('message', () => void worker.terminate().then(() => resolve(), reject));
      worker.once('error', reject);
    });
  let start = performance.now();
  await spin();
  const one = performance.now() - start;
  start = performance.now();
  await Promise.all([spin(), spin()]);
  return (2 * one) / (performance.now() - start);
}
