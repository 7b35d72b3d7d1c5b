import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';

/**
 * What the runner needs of a QuickJS WebAssembly module. Both `QuickJSWASMModule` and the test
 * wrapper `TestQuickJSWASMModule` (which tracks runtimes for leak checks) satisfy it.
 */
export type QuickJsModule = Pick<QuickJSWASMModule, 'newRuntime' | 'getWasmMemory'>;

/** Creates a fresh, isolated QuickJS WebAssembly module. */
export type QuickJsModuleFactory = () => Promise<QuickJsModule>;

/**
 * The build the runner uses unless told otherwise: Bellard QuickJS, release, sync. Measured against
 * quickjs-ng in `bench/README.md` (section "QuickJS build").
 */
export const newReleaseModule: QuickJsModuleFactory = () => newQuickJSWASMModuleFromVariant(RELEASE_SYNC);

/** The part of a `WebAssembly.Memory` the runner uses (the project's `lib` has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: { readonly byteLength: number };
  grow(pages: number): number;
}

const pageBytes = 65_536;

/** One instantiated module and what the runner knows of its heap. */
export class ModuleLease {
  /** False once the module is discarded: its runtimes must be dropped, never disposed. */
  alive = true;
  /** The WebAssembly heap size right after instantiation, before any runtime exists. */
  readonly baselineBytes: number;
  private readonly memory: WasmMemory;
  private growthCeiling = Number.POSITIVE_INFINITY;
  private refused = false;

  constructor(readonly module: QuickJsModule) {
    this.memory = module.getWasmMemory() as unknown as WasmMemory;
    this.baselineBytes = this.heapBytes();
    const grow = this.memory.grow.bind(this.memory);
    // Emscripten grows the heap through this method and turns a throw into a failed malloc, which
    // QuickJS reports as "out of memory". Guarding it holds the budget at the very allocation that
    // would break it; the interrupt handler alone polls too rarely for a loop of large allocations.
    this.memory.grow = (pages: number): number => {
      if (this.heapBytes() + pages * pageBytes > this.growthCeiling) {
        this.refused = true;
        throw new RangeError(`the sandbox heap may not grow past ${this.growthCeiling} bytes`);
      }
      try {
        return grow(pages);
      } catch (error) {
        // The host itself could not give the memory: as much a memory breach as a refusal.
        this.refused = true;
        throw error;
      }
    };
  }

  /**
   * The real size of the module's heap. QuickJS's own memory limit counts allocations, not bytes
   * (large strings and buffers barely register), so this is what the runner budgets: the
   * WebAssembly memory only grows, and it is what the host process actually holds.
   */
  heapBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Lets the heap grow up to `ceiling` bytes until the next call; clears {@link growthRefused}. */
  limitGrowth(ceiling: number): void {
    this.growthCeiling = ceiling;
    this.refused = false;
  }

  /** Whether a growth was refused (or failed) since the last {@link limitGrowth}. */
  get growthRefused(): boolean {
    return this.refused;
  }
}

/**
 * Owns the runner's one WebAssembly module: creates it lazily, and replaces it after it is
 * discarded. A module is discarded when its heap ran past a budget (WebAssembly memory never
 * shrinks, so only a new module gives the memory back) or when QuickJS failed on the host side (a
 * host stack overflow leaves runtimes that can no longer be disposed).
 */
export class WasmHost {
  private current: ModuleLease | undefined;
  private pending: Promise<ModuleLease> | undefined;

  constructor(private readonly factory: QuickJsModuleFactory) {}

  /** The live module, instantiated on first use. */
  async acquire(): Promise<ModuleLease> {
    if (this.current?.alive) return this.current;
    this.pending ??= this.factory().then(
      (module) => {
        this.pending = undefined;
        this.current = new ModuleLease(module);
        return this.current;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  /** The WebAssembly heap of the current module, in bytes; 0 before one is instantiated. */
  heapBytes(): number {
    return this.current?.alive === true ? this.current.heapBytes() : 0;
  }

  /** Drops `lease`; the next {@link acquire} instantiates a new module. */
  discard(lease: ModuleLease): void {
    lease.alive = false;
    if (this.current === lease) this.current = undefined;
  }

  /**
   * Disposes a runtime and its context if their module is still alive (a discarded module takes its
   * runtimes along); if QuickJS cannot dispose them, the module goes too.
   */
  release(held: { readonly lease: ModuleLease; readonly runtime: { dispose(): void }; readonly context: { dispose(): void } }): void {
    if (!held.lease.alive) return;
    try {
      held.context.dispose();
      held.runtime.dispose();
    } catch {
      this.discard(held.lease);
    }
  }

  /** Drops the current module for good. */
  close(): void {
    if (this.current !== undefined) this.discard(this.current);
  }
}
