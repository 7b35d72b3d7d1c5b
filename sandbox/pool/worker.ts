/**
 * The body of one pool worker thread: its own `QuickJsRunner` (so its own QuickJS WebAssembly
 * module) holding the plugins the pool loaded, each under the pool's id for it. Requests run
 * concurrently, as calls on one `QuickJsRunner` may; each gets exactly one reply. The pool ends a
 * worker by terminating it, which frees its WebAssembly memory along with the thread.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ErrorCodes, PluginLoadError } from '../../core/errors.js';
import type { PolicyHandle, ReducerHandle } from '../../core/ports/plugin-runner.js';
import { QuickJsRunner } from '../quickjs/runner.js';
import type { PoolReply, PoolRequest, PoolRequestBody, PoolWorkerData } from './protocol.js';
import { toWireError } from './wire-error.js';

/** The plugins of one worker thread. */
class WorkerPlugins {
  private readonly runner: QuickJsRunner;
  private readonly reducers = new Map<number, ReducerHandle>();
  private readonly policies = new Map<number, PolicyHandle>();

  constructor(data: PoolWorkerData) {
    this.runner = new QuickJsRunner({ limits: data.limits, seed: data.seed });
  }

  async handle(request: PoolRequestBody): Promise<unknown> {
    switch (request.type) {
      case 'load': {
        const handle = request.kind === 'reducer' ? await this.runner.loadReducer(request.source, request.limits) : await this.runner.loadPolicy(request.source, request.limits);
        if (request.kind === 'reducer') this.reducers.set(request.plugin, handle as ReducerHandle);
        else this.policies.set(request.plugin, handle as PolicyHandle);
        return handle.info;
      }
      case 'reducer': {
        const handle = this.reducers.get(request.plugin) ?? missing(request.plugin);
        // Text back, as it came in: the pool needs the serialized length for the output limit of a
        // split call, and one flat string crosses threads faster than an object graph.
        return JSON.stringify(await handle[request.hook](JSON.parse(request.items) as never, request.call));
      }
      case 'decide':
        return (this.policies.get(request.plugin) ?? missing(request.plugin)).decide(request.inputs, request.options, request.level);
    }
  }
}

function missing(plugin: number): never {
  throw new PluginLoadError(ErrorCodes.PluginLoad, `quickjs-pool: plugin #${plugin} is not loaded in this worker`);
}

function serve(port: MessagePort, plugins: WorkerPlugins): void {
  port.on('message', (request: PoolRequest) => {
    plugins.handle(request).then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies PoolReply),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: toWireError(error) } satisfies PoolReply),
    );
  });
}

if (parentPort !== null) serve(parentPort, new WorkerPlugins(workerData as PoolWorkerData));
