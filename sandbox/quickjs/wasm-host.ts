import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC, Scope, type QuickJSWASMModule } from 'quickjs-emscripten';
import { encodeBinaryJson, encodeBinaryString } from './binary-json.js';

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
  /**
   * Whether this module reads the host's binary JSON exactly (`true`), or why not: requests then
   * cross as JSON text. See {@link checkBinaryJson}.
   */
  readonly binaryJson: true | string;
  private growthCeiling = Number.POSITIVE_INFINITY;
  private refused = false;

  constructor(readonly module: QuickJsModule) {
    this.memory = module.getWasmMemory() as unknown as WasmMemory;
    this.binaryJson = checkBinaryJson(module);
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
 * A value that exercises every part of the binary format the host writes: the atom table, array
 * index keys (tagged atoms) next to numeric strings that are not, `__proto__` as an own key, int32
 * and float64 numbers at their edges, 8-bit and 16-bit strings with an astral character and a lone
 * surrogate, nesting.
 */
const binaryJsonSample: unknown = JSON.parse(
  '{"b":[0,-1,63,64,-65,2147483647,-2147483648,2147483648,0.1,-1e300,5e-324],"0":"Latin-1 \u00e9","2147483647":"wide \u0100 \ud83d\ude00 \ud800",' +
    '"2147483648":{"__proto__":[true,false,null],"":{"b":"b"}},"01":[[[]]],"-1":{}}',
);

/**
 * Decodes a known sample of the host's binary JSON in a scratch runtime of `module` and compares it
 * with the same value parsed from JSON text there. A build whose format differs (another
 * `BC_VERSION`, other tags) fails here, once per module, rather than decode a request wrongly.
 *
 * @returns `true`, or the reason the runner must send JSON text instead.
 */
export function checkBinaryJson(module: QuickJsModule): true | string {
  const text = JSON.stringify(binaryJsonSample);
  const value = encodeBinaryJson(binaryJsonSample)!;
  const wrapped = encodeBinaryString(text);
  try {
    return Scope.withScope((scope) => {
      const runtime = scope.manage(module.newRuntime());
      const context = scope.manage(runtime.newContext());
      const check = context.evalCode('(value, wrapped, text) => JSON.stringify(value) === text && JSON.stringify(JSON.parse(text)) === text && wrapped === text');
      const compare = scope.manage(context.unwrapResult(check));
      const decoded = scope.manage(context.decodeBinaryJSON(scope.manage(context.newArrayBuffer(ownBuffer(value)))));
      const string = scope.manage(context.decodeBinaryJSON(scope.manage(context.newArrayBuffer(ownBuffer(wrapped)))));
      if (context.typeof(decoded) !== 'object' || context.typeof(string) !== 'string') return 'the sample did not decode';
      const same = scope.manage(context.unwrapResult(context.callFunction(compare, context.undefined, decoded, string, scope.manage(context.newString(text)))));
      return context.dump(same) === true ? true : 'the decoded sample differs from the same value parsed from JSON text';
    });
  } catch (error) {
    return `decoding the sample failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** `bytes`'s whole ArrayBuffer, copied only when `bytes` is a view on part of one. */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer as ArrayBuffer;
  return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength ? buffer : (bytes.slice().buffer as ArrayBuffer);
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

  /** @param checked - told of every new module once its binary JSON self-check ran. */
  constructor(
    private readonly factory: QuickJsModuleFactory,
    private readonly checked: (lease: ModuleLease) => void = () => {},
  ) {}

  /** The live module, instantiated on first use. */
  async acquire(): Promise<ModuleLease> {
    if (this.current?.alive) return this.current;
    this.pending ??= this.factory().then(
      (module) => {
        this.pending = undefined;
        this.current = new ModuleLease(module);
        this.checked(this.current);
        return this.current;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  /** Whether the live module reads the host's binary JSON (`true`), or why not. */
  binaryJson(): true | string {
    return this.current?.alive === true ? this.current.binaryJson : 'no QuickJS module is instantiated yet';
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
