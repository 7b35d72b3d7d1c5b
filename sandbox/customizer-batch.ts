import type { CustomizeChange, Json } from '../core/contract.js';
import type { ErrorDetails } from '../core/errors.js';
import type { CustomizeCall, CustomizeItem, CustomizerHandle, PluginInfo } from '../core/ports/plugin-runner.js';
import type { CustomizerHook } from './quickjs/protocol.js';

/** A customizer whose hooks are one batch call each, wherever the batch runs (the engine, a worker thread). */
export abstract class BatchCustomizer implements CustomizerHandle {
  constructor(readonly info: PluginInfo) {}

  customize(items: readonly CustomizeItem[], call: CustomizeCall): Promise<Json[]> {
    return this.batch('customize', items, call) as Promise<Json[]>;
  }

  explain(items: readonly CustomizeItem[], call: CustomizeCall): Promise<CustomizeChange[][]> {
    return this.batch('explain', items, call) as Promise<CustomizeChange[][]>;
  }

  /** Runs `hook` over every item in one call; `[]` for no items. */
  async batch(hook: CustomizerHook, items: readonly CustomizeItem[], call: CustomizeCall): Promise<unknown[]> {
    if (items.length === 0) return [];
    return this.run(hook, items, call, { plugin: this.info.name, hook, level: call.level.id });
  }

  /** One call over a non-empty batch; `where` names it in errors. */
  protected abstract run(hook: CustomizerHook, items: readonly CustomizeItem[], call: CustomizeCall, where: ErrorDetails): Promise<unknown[]>;
}
