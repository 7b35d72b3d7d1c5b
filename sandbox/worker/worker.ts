/**
 * The body of one worker thread: the QuickJS engine (`InThreadQuickJsRunner`, with its own
 * WebAssembly module) holding the plugins its host loaded, each under the host's id for it.
 * Requests run one after the other, each with exactly one reply, so the guest cell always names
 * the request whose guest code runs. The host ends a worker by terminating it, which frees its
 * WebAssembly memory along with the thread.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ErrorCodes, PluginLoadError } from '../../core/errors.js';
import type { PluginSource, PolicyHandle } from '../../core/ports/plugin-runner.js';
import type { PluginBundle } from '../bundle.js';
import { InThreadQuickJsRunner, type InThreadCustomizer, type InThreadReducer } from '../quickjs/in-thread.js';
import type { ThreadData, ThreadLoaded, ThreadReply, ThreadRequest, ThreadRequestBody } from './protocol.js';
import { GuestCellWriter } from './watchdog.js';
import { toWireError } from './wire-error.js';

/** The plugins of one worker thread. */
class ThreadPlugins {
  readonly cell: GuestCellWriter;
  private readonly runner: InThreadQuickJsRunner;
  /** The bundle of the plugin being loaded, by entry: what the host built for it. */
  private readonly bundles = new Map<string, PluginBundle>();
  private readonly reducers = new Map<number, InThreadReducer>();
  private readonly policies = new Map<number, PolicyHandle>();
  private readonly customizers = new Map<number, InThreadCustomizer>();

  constructor(data: ThreadData) {
    this.cell = new GuestCellWriter(data.guest);
    this.runner = new InThreadQuickJsRunner({
      ...(data.seed === undefined ? {} : { seed: data.seed }),
      watch: this.cell,
      bundles: { get: async (source) => this.bundles.get(source.entry) ?? notSent(source) },
      warmSpare: data.warmSpare,
    });
    // A thread that replaces a terminated one has its plugins to reload: the spare gets a head start.
    if (data.shim !== undefined) this.runner.prepare(data.shim);
  }

  /** The WebAssembly heap of this thread's engine, in bytes. */
  memoryBytes(): number {
    return this.runner.memoryBytes();
  }

  async handle(request: ThreadRequestBody): Promise<unknown> {
    switch (request.type) {
      case 'load': {
        this.bundles.set(request.source.entry, request.bundle);
        try {
          if (request.kind === 'reducer') {
            const handle = await this.runner.loadReducer(request.source, request.limits);
            this.reducers.set(request.plugin, handle);
            return { info: handle.info, binaryJson: this.runner.binaryJson() } satisfies ThreadLoaded;
          }
          if (request.kind === 'customizer') {
            const handle = await this.runner.loadCustomizer(request.source, request.limits);
            this.customizers.set(request.plugin, handle);
            return { info: handle.info, binaryJson: this.runner.binaryJson() } satisfies ThreadLoaded;
          }
          const handle = await this.runner.loadPolicy(request.source, request.limits);
          this.policies.set(request.plugin, handle);
          return { info: handle.info, binaryJson: this.runner.binaryJson() } satisfies ThreadLoaded;
        } finally {
          this.bundles.delete(request.source.entry);
        }
      }
      case 'reducer': {
        const handle = this.reducers.get(request.plugin) ?? missing(request.plugin);
        // Text back: the host needs the serialized length for the output limit of a
        // split call, and one flat string crosses threads faster than an object graph.
        return (await handle.batch(request.hook, request.items, request.count, request.call)).text;
      }
      case 'decide':
        return (this.policies.get(request.plugin) ?? missing(request.plugin)).decide(request.inputs, request.options, request.level);
      case 'customize':
        return (this.customizers.get(request.plugin) ?? missing(request.plugin)).batch(request.hook, request.items, request.call);
    }
  }
}

function missing(plugin: number): never {
  throw new PluginLoadError(ErrorCodes.PluginLoad, `QuickJS worker thread: plugin #${plugin} is not loaded in it`);
}

function notSent(source: PluginSource): never {
  throw new PluginLoadError(ErrorCodes.PluginLoad, `${source.spec}: the host sent no bundle for ${source.entry}`);
}

function serve(port: MessagePort, plugins: ThreadPlugins): void {
  let queue = Promise.resolve();
  port.on('message', (request: ThreadRequest) => {
    queue = queue.then(async () => {
      plugins.cell.serve(request.id);
      let reply: ThreadReply;
      try {
        reply = { id: request.id, ok: true, value: await plugins.handle(request) };
      } catch (error) {
        reply = { id: request.id, ok: false, error: toWireError(error) };
      }
      plugins.cell.heap(plugins.memoryBytes());
      try {
        port.postMessage(reply);
      } catch (error) {
        port.postMessage({ id: request.id, ok: false, error: toWireError(error) } satisfies ThreadReply);
      }
    });
  });
}

if (parentPort !== null) serve(parentPort, new ThreadPlugins(workerData as ThreadData));
