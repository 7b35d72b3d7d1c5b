/**
 * One worker of the pool experiment: the QuickJS engine on its own thread (so its own QuickJS
 * WebAssembly module), fed chunks of report JSON text. Messages are handled one at a time, in order.
 */
import { parentPort } from 'node:worker_threads';
import type { Json, StatusReport } from '../core/contract.js';
import { InThreadQuickJsRunner, type ReducerHandle } from '../sandbox/index.js';
import { finishAll, loadHandles } from './baselines.js';
import type { PoolReply, PoolRequest } from './pool.js';
import { callContext, reducerNames, type ReducerName } from './workload.js';

const port = parentPort!;
let runner: InThreadQuickJsRunner | undefined;
let handles: Record<ReducerName, ReducerHandle> | undefined;
let accs: Record<ReducerName, Json[]> = { health: [], 'version-histogram': [] };

async function handle(request: PoolRequest): Promise<PoolReply> {
  switch (request.type) {
    case 'init':
      runner = new InThreadQuickJsRunner({ limits: request.limits });
      handles = await loadHandles(runner);
      return { type: 'ready' };
    case 'chunk': {
      const reports = JSON.parse(request.text) as StatusReport[];
      for (const name of reducerNames) {
        const produced = await handles![name].reduce([reports], callContext);
        if (request.keep) accs[name].push(...produced);
      }
      return { type: 'done' };
    }
    case 'collect': {
      const merged = {} as Record<ReducerName, Json>;
      for (const name of reducerNames) [merged[name]] = (await handles![name].merge([accs[name]], callContext)) as [Json];
      accs = { health: [], 'version-histogram': [] };
      return { type: 'accs', accs: merged };
    }
    case 'finish':
      return { type: 'summaries', summaries: await finishAll(handles!, request.accs) };
    case 'close':
      await runner?.dispose();
      return { type: 'closed' };
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (request: PoolRequest) => {
  queue = queue.then(async () => {
    try {
      port.postMessage(await handle(request));
    } catch (error) {
      port.postMessage({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies PoolReply);
    }
  });
});
