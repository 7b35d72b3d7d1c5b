import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scope, type QuickJSContext, type QuickJSRuntime } from 'quickjs-emscripten';
import { ErrorCodes } from '../../core/errors.js';
import { scaleTopology, sliceReports, type ScaleShape } from '../../bench/scale-workload.js';
import { callAt, fixture, report } from '../fixtures/reports.js';
import { InlineRunner } from '../inline.js';
import { encodeBinaryJson, encodeBinaryString, encodeItems, maxBinaryDepth } from './binary-json.js';
import { InThreadQuickJsRunner } from './in-thread.js';
import { QuickJsRunner } from './runner.js';
import { checkBinaryJson, newReleaseModule, ownBuffer, type QuickJsModule, type QuickJsModuleFactory } from './wasm-host.js';

const seed = 20_261_130;

/**
 * What the guest sees of a value, down to what JSON text hides: `-0`, property order, prototypes,
 * property attributes, the code units of strings (lone surrogates included), array lengths.
 */
const guestView = `(function view(value) {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return 's' + Array.from({ length: value.length }, (_, i) => value.charCodeAt(i)).join('.');
  if (typeof value !== 'object' || value === null) return String(value);
  const kind = Array.isArray(value) ? 'array' : Object.getPrototypeOf(value) === Object.prototype ? 'object' : 'other';
  const props = Object.getOwnPropertyNames(value).map((key) => {
    const d = Object.getOwnPropertyDescriptor(value, key);
    return JSON.stringify(key) + (d.writable ? 'w' : '') + (d.enumerable ? 'e' : '') + (d.configurable ? 'c' : '') + ':' + (key === 'length' && kind === 'array' ? d.value : view(d.value));
  });
  return kind + '{' + props.join(',') + '}';
})`;

/** A bare runtime that decodes binary JSON, parses JSON text, and writes QuickJS's own binary JSON. */
class Guest {
  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
  ) {}

  static async start(): Promise<Guest> {
    const runtime = (await newReleaseModule()).newRuntime();
    return new Guest(runtime, runtime.newContext());
  }

  /** The view of `bytes` decoded by `decodeBinaryJSON`. */
  decoded(bytes: Uint8Array): string {
    return Scope.withScope((scope) => {
      const value = scope.manage(this.context.decodeBinaryJSON(scope.manage(this.context.newArrayBuffer(ownBuffer(bytes)))));
      return this.view(scope, value);
    });
  }

  /** The view of `text` parsed by the guest's `JSON.parse`, and that value written by `JS_WriteObject`. */
  parsed(text: string): { view: string; bytes: Uint8Array } {
    return Scope.withScope((scope) => {
      const parse = scope.manage(this.context.getProp(scope.manage(this.context.getProp(this.context.global, 'JSON')), 'parse'));
      const value = scope.manage(this.context.unwrapResult(this.context.callFunction(parse, this.context.undefined, scope.manage(this.context.newString(text)))));
      const written = scope.manage(this.context.getArrayBuffer(scope.manage(this.context.encodeBinaryJSON(value))));
      return { view: this.view(scope, value), bytes: written.value.slice() };
    });
  }

  dispose(): void {
    this.context.dispose();
    this.runtime.dispose();
  }

  private view(scope: Scope, value: Parameters<QuickJSContext['callFunction']>[1]): string {
    const view = scope.manage(this.context.unwrapResult(this.context.evalCode(guestView)));
    return this.context.getString(scope.manage(this.context.unwrapResult(this.context.callFunction(view, this.context.undefined, value))));
  }
}

/** Strings that stress the encoder: astral characters, lone surrogates, Latin-1 past ASCII, long runs of either. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((code) => String.fromCharCode(code)), maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '\u00ff', '\u0100', '😀', '\ud800', '\udfff', '\u0000'), maxLength: 200 }),
);
const key = fc.oneof(
  fc.constantFrom('0', '1', '9', '10', '01', '-1', '1.5', '2147483647', '2147483648', '4294967294', '4294967295', '4294967296', '__proto__', 'constructor', 'toString', '', 'length'),
  text,
);
const number = fc.oneof(
  fc.double(),
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  fc.constantFrom(-0, 0, 0x7fff_ffff, -0x8000_0000, 0x8000_0000, -0x8000_0001, Number.MAX_SAFE_INTEGER, 1e21, 5e-324, Number.MAX_VALUE),
);
/** Any value JSON.stringify writes as data, and the values it drops or turns into `null`. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.constant(undefined)),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 8 }).map((entries) => {
    // Own `__proto__` keys, as JSON.parse makes them, not a prototype.
    const object: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(entries)) Object.defineProperty(object, name, { value: item, enumerable: true, writable: true, configurable: true });
    return object;
  }),
  value: fc.oneof({ depthSize: 'small', maxDepth: 6 }, tie('leaf'), tie('array'), tie('object')),
})).value;

function nested(depth: number): unknown {
  let inner: unknown = { leaf: ['é', -0, 1.5] };
  for (let i = 0; i < depth; i++) inner = i % 2 === 0 ? [inner] : { [String(i)]: inner, k: i };
  return inner;
}

describe('encodeBinaryJson', () => {
  let guest: Guest;
  beforeAll(async () => {
    guest = await Guest.start();
  });
  afterAll(() => guest.dispose());

  /** The guest's view of the value decoded, of JSON.parse(JSON.stringify(value)), and both binary forms. */
  function both(item: unknown): { decoded: string; parsed: string; ours: Uint8Array; theirs: Uint8Array } {
    const ours = encodeBinaryJson(item);
    expect(ours).toBeInstanceOf(Uint8Array);
    const { view, bytes } = guest.parsed(JSON.stringify(item));
    return { decoded: guest.decoded(ours!), parsed: view, ours: ours!, theirs: bytes };
  }

  it('gives the guest exactly what JSON.parse(JSON.stringify(value)) gives it, byte for byte as QuickJS writes it', () => {
    fc.assert(
      fc.property(value, (item) => {
        const wrapped = [item];
        const { decoded, parsed, ours, theirs } = both(wrapped);
        expect(decoded).toBe(parsed);
        expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('gives the guest the scale suite’s reports exactly as JSON text would', () => {
    const shape: ScaleShape = { destinations: 100, regions: 2, sitesPerRegion: 2, objects: 10, seed: 7 };
    const reports = [...sliceReports(scaleTopology(shape), shape, 0), ...sliceReports(scaleTopology(shape), shape, 1)];
    const { decoded, parsed, ours, theirs } = both([reports.slice(0, 500), [], reports.slice(500)]);
    expect(decoded).toBe(parsed);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('carries many keys and long strings of either width exactly', () => {
    const keys = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [i % 3 === 0 ? String(i) : `key-${i}-\u0101`, i % 7 === 0 ? -i / 3 : i]));
    const long = ['é'.repeat(100_000), `${'a'.repeat(70_000)}😀\udc00`, '\u0000'.repeat(65)];
    const { decoded, parsed, ours, theirs } = both([keys, long]);
    expect(decoded).toBe(parsed);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('carries nesting past the wire’s 64 levels up to its own bound, and leaves deeper values to JSON text', () => {
    const deep = nested(maxBinaryDepth - 2);
    const { decoded, parsed } = both(deep);
    expect(decoded).toBe(parsed);
    expect(encodeBinaryJson(nested(maxBinaryDepth + 1))).toBeUndefined();
  });

  it('leaves to JSON text what JSON.stringify does not write as plain data, and throws nothing itself', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new RangeError('getter');
      },
    });
    for (const item of [[new Date(0)], [{ toJSON: () => 1 }], [1n], [new Number(1)], [new Map()], [cyclic], [throwing], undefined, () => 1]) {
      expect(encodeBinaryJson(item)).toBeUndefined();
    }
  });

  it('wraps any text as a binary JSON string with its code units intact', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: 'binary', minLength: 64, maxLength: 300 })), (string) => {
        expect(guest.decoded(encodeBinaryString(string))).toBe(guest.parsed(JSON.stringify(string)).view);
      }),
      { seed, numRuns: 200 },
    );
  });
});

/** The release build, whose contexts decode binary JSON to the wrong value: a build whose format differs. */
const misreadingModule: QuickJsModuleFactory = async () => {
  const module = await newReleaseModule();
  const wrapped: QuickJsModule = {
    getWasmMemory: () => module.getWasmMemory(),
    newRuntime: (options) => {
      const runtime = module.newRuntime(options);
      const newContext = runtime.newContext.bind(runtime);
      runtime.newContext = (contextOptions) => {
        const context = newContext(contextOptions);
        context.decodeBinaryJSON = () => context.newObject();
        return context;
      };
      return runtime;
    },
  };
  return wrapped;
};

/** Enough reports that a batch of them crosses as binary JSON. */
const many = Array.from({ length: 60 }, (_, i) => report(`edge-${i}`, { readyReplicas: i % 3 }));

describe('binary items in the runners', () => {
  const call = callAt('site-1', { label: 'east' });

  it('sends small batches as JSON text and large ones as binary JSON', () => {
    expect(typeof encodeItems([[many[0]]], true)).toBe('string');
    expect(encodeItems([many], true)).toBeInstanceOf(Uint8Array);
    expect(typeof encodeItems([many], false)).toBe('string');
  });

  it('folds a batch sent as binary JSON to the inline runner’s results, in the engine and through the worker thread', async () => {
    const runners = [new InThreadQuickJsRunner({ limits: { timeMs: 60_000 } }), new QuickJsRunner({ limits: { timeMs: 60_000 } })];
    try {
      const reference = await new InlineRunner().loadReducer(fixture('counter'));
      const groups = [many, many.slice(7), []];
      const expected = await reference.reduce(groups, call);
      for (const runner of runners) {
        const handle = await runner.loadReducer(fixture('counter'));
        const accs = await handle.reduce(groups, call);
        expect(accs).toEqual(expected);
        expect(await handle.update([{ acc: accs[0]!, remove: many.slice(0, 30), add: many.slice(40) }], call)).toEqual(
          await reference.update([{ acc: accs[0]!, remove: many.slice(0, 30), add: many.slice(40) }], call),
        );
      }
    } finally {
      await Promise.all(runners.map((runner) => runner.dispose()));
    }
  });
});

describe('binary items under the heap guard', () => {
  it('refuses a request larger than the call’s memory budget before copying it, and the next call runs', async () => {
    const runner = new InThreadQuickJsRunner({ limits: { timeMs: 60_000, memoryBytes: 4 << 20 } });
    const call = callAt('site-1', { label: 'east' });
    try {
      const handle = await runner.loadReducer(fixture('counter'));
      const big = { ...report('edge-1', { readyReplicas: 1 }), note: 'x'.repeat(12 << 20) };
      await expect(handle.reduce([[big]], call)).rejects.toMatchObject({ code: ErrorCodes.PluginMemory });
      expect(await handle.reduce([[report('edge-1', { readyReplicas: 1 })]], call)).toEqual([{ reports: 1, ready: 0, destinations: ['edge-1'] }]);
    } finally {
      await runner.dispose();
    }
  });
});

describe('the binary JSON self-check', () => {
  const call = callAt('site-1', { label: 'east' });
  const reports = [report('edge-3', { readyReplicas: 3 }), report('edge-1', { readyReplicas: 1 }), report('edge-2', { readyReplicas: 3 })];

  it('passes on the build the runner uses', async () => {
    expect(checkBinaryJson(await newReleaseModule())).toBe(true);
  });

  it('falls back to JSON text with a logged reason when a build decodes the sample wrongly, and results stay the inline runner’s', async () => {
    const warnings: unknown[] = [];
    const runner = new InThreadQuickJsRunner({ limits: { timeMs: 60_000 }, newModule: misreadingModule, logger: { warn: (message, fields) => warnings.push({ message, fields }) } });
    try {
      const handle = await runner.loadReducer(fixture('counter'));
      expect(runner.binaryJson()).toMatch(/sample/);
      expect(warnings).toEqual([{ message: expect.stringMatching(/binary JSON failed its self-check/), fields: { reason: runner.binaryJson() } }]);
      const reference = await new InlineRunner().loadReducer(fixture('counter'));
      expect(encodeItems([many], true)).toBeInstanceOf(Uint8Array);
      const accs = await handle.reduce([many, reports], call);
      expect(accs).toEqual(await reference.reduce([many, reports], call));
      expect(await handle.merge([accs], call)).toEqual(await reference.merge([accs], call));
    } finally {
      await runner.dispose();
    }
  });

  it('tells the host when a worker thread’s build fails the check, and the thread gets JSON text', async () => {
    const warnings: unknown[] = [];
    const runner = new QuickJsRunner({
      limits: { timeMs: 60_000 },
      workerEntry: new URL('../worker/fixtures/misreading-worker.mjs', import.meta.url),
      logger: { warn: (message, fields) => warnings.push({ message, fields }) },
    });
    try {
      const handle = await runner.loadReducer(fixture('counter'));
      await runner.loadReducer(fixture('counter'));
      expect(warnings).toEqual([{ message: expect.stringMatching(/binary JSON failed its self-check/), fields: { runner: 'quickjs', reason: expect.stringMatching(/sample/) } }]);
      const reference = await new InlineRunner().loadReducer(fixture('counter'));
      expect(await handle.reduce([many, reports], call)).toEqual(await reference.reduce([many, reports], call));
    } finally {
      await runner.dispose();
    }
  });

  it('refuses binary items on a module that failed the check with a typed error, never a wrong value', async () => {
    const runner = new InThreadQuickJsRunner({ limits: { timeMs: 60_000 }, newModule: misreadingModule });
    try {
      const handle = await runner.loadReducer(fixture('counter'));
      await expect(handle.batch('reduce', encodeBinaryJson([many])!, 1, call)).rejects.toMatchObject({ code: ErrorCodes.PluginLoad });
    } finally {
      await runner.dispose();
    }
  });
});
