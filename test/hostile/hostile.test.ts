/**
 * Hostile plugins against the QuickJS runners. Each fixture under `plugins/` misbehaves on a report
 * whose `status.attack` is set and counts reports otherwise, so every test shows the typed error,
 * then that the breaching plugin's next normal call works (its runtime, its module or its whole
 * thread was replaced) and that a well-behaved plugin in the same runner is unaffected.
 *
 * No test races a time limit with work that could finish: a plugin either runs far below its limit
 * (60 s) or runs work that never ends under a short one.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, StatusReport } from '../../core/contract.js';
import { ErrorCodes, PluginLoadError, PluginThrewError, PluginTimeoutError, type ErrorCode } from '../../core/errors.js';
import type { PluginLimits, PluginRunner, PluginSource, ReducerHandle } from '../../core/ports/plugin-runner.js';
import { LeakCheckedModule } from '../../sandbox/fixtures/leak-checked-module.js';
import { callAt, fixture, report } from '../../sandbox/fixtures/reports.js';
import { threadCount, threadCountSettled } from '../../sandbox/fixtures/threads.js';
import { PooledRunner } from '../../sandbox/pool/runner.js';
import { InThreadQuickJsRunner } from '../../sandbox/quickjs/in-thread.js';
import { minBootMs } from '../../sandbox/quickjs/limits.js';
import { QuickJsRunner } from '../../sandbox/quickjs/runner.js';
import { newReleaseModule, type QuickJsModule, type QuickJsModuleFactory } from '../../sandbox/quickjs/wasm-host.js';

const limits: PluginLimits = { timeMs: 60_000, memoryBytes: 32 * 1024 * 1024, stackBytes: 64 * 1024, outputBytes: 1024 * 1024 };
/** For work that never ends: the limit is what stops it. */
const short: Partial<PluginLimits> = { timeMs: 1_000 };
/** What a breach may take at most, whatever the machine: far above any limit here, far below forever. */
const boundMs = 30_000;
const mib = 1024 * 1024;
const call = callAt('site-1');
const normal = report('edge-1', { readyReplicas: 3 });
const attack = (kind: Json = true): StatusReport => report('edge-evil', { attack: kind });

function hostile(name: string): PluginSource {
  return { spec: `./test/hostile/plugins/${name}.ts`, entry: new URL(`./plugins/${name}.ts`, import.meta.url).pathname };
}

/** The failure a call should end in: code and where it happened. */
async function expectBreach(promise: Promise<unknown>, code: ErrorCode, plugin: string): Promise<Error> {
  const error = await promise.then(
    (value) => expect.unreachable(`expected ${code}, got ${JSON.stringify(value)?.slice(0, 100)}`),
    (e: unknown) => e as Error,
  );
  expect(error).toMatchObject({ code, plugin, hook: 'add', level: 'site-1', binding: 'web-health' });
  return error;
}

/** A well-behaved plugin in `runner` answers. */
async function expectBystanderWorks(runner: PluginRunner): Promise<void> {
  const counter = await runner.loadReducer(fixture('counter'));
  await expect(counter.reduce([[normal]], call)).resolves.toEqual([{ reports: 1, ready: 1, destinations: ['edge-1'] }]);
}

describe('hostile plugins in the QuickJS runner', () => {
  const runner = new QuickJsRunner({ limits });
  afterAll(() => runner.dispose());
  const load = (name: string, overrides: Partial<PluginLimits> = {}) => runner.loadReducer(hostile(name), overrides);

  /** The breaching plugin answers its next normal call, and a well-behaved one is unaffected. */
  async function expectRecovered(handle: ReducerHandle): Promise<void> {
    await expect(handle.reduce([[normal, normal], []], call)).resolves.toEqual([{ n: 2 }, { n: 0 }]);
    await expectBystanderWorks(runner);
  }

  it('stops while(true){} with EDGESUM_PLUGIN_TIMEOUT', async () => {
    const spin = await load('spin', short);
    const started = performance.now();
    const error = await expectBreach(spin.reduce([[normal, attack()]], call), ErrorCodes.PluginTimeout, 'spin');
    expect(performance.now() - started).toBeLessThan(boundMs);
    expect(error.message).toBe('spin.add ran past its 1000 ms time limit at level site-1');
    await expectRecovered(spin);
  });

  it('stops a module whose top level never finishes with EDGESUM_PLUGIN_TIMEOUT at load', async () => {
    const error = (await load('spin-at-load', short).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: ErrorCodes.PluginTimeout, hook: 'describe' });
    expect(error.message).toBe(`./test/hostile/plugins/spin-at-load.ts took longer than ${minBootMs} ms to start its module while loading`);
  });

  it('stops a module whose top level is stuck in one built-in with EDGESUM_PLUGIN_TIMEOUT at load', async () => {
    const started = performance.now();
    const error = (await load('uninterruptible-at-load', short).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect(error).toMatchObject({ code: ErrorCodes.PluginTimeout, plugin: './test/hostile/plugins/uninterruptible-at-load.ts', hook: 'describe' });
    expect(error.message).toBe(`./test/hostile/plugins/uninterruptible-at-load.ts took longer than ${minBootMs} ms to start its module while loading`);
    expect(performance.now() - started).toBeLessThan(boundMs);
    await expectBystanderWorks(runner);
  });

  it('stops a plugin holding ~1 GiB of strings with EDGESUM_PLUGIN_MEMORY, before the heap passes its budget by much', async () => {
    const hog = await load('hog-strings');
    const error = await expectBreach(hog.reduce([[attack()]], call), ErrorCodes.PluginMemory, 'hog-strings');
    const heap = Number(/the sandbox heap reached (\d+) bytes/.exec(error.message)?.[1]);
    expect(heap).toBeLessThan(160 * mib);
    await expectRecovered(hog);
  });

  it('stops an ever-growing array with EDGESUM_PLUGIN_MEMORY', async () => {
    const hog = await load('hog-array');
    await expectBreach(hog.reduce([[attack()]], call), ErrorCodes.PluginMemory, 'hog-array');
    await expectRecovered(hog);
  });

  it('stops unbounded recursion with EDGESUM_PLUGIN_STACK', async () => {
    const recurse = await load('recurse');
    const error = await expectBreach(recurse.reduce([[attack()]], call), ErrorCodes.PluginStack, 'recurse');
    expect(error.message).toMatch(/^recurse\.add ran past its 65536 byte stack limit at level site-1: stack overflow \(at test\/hostile\/plugins\/recurse\.ts:4:\d+\)$/);
    await expectRecovered(recurse);
  });

  it('clamps a stack limit above 128 KiB, so an overflow stays a typed error inside QuickJS', async () => {
    const recurse = await load('recurse', { stackBytes: 8 * mib });
    const error = await expectBreach(recurse.reduce([[attack()]], call), ErrorCodes.PluginStack, 'recurse');
    expect(error.message).toMatch(/^recurse\.add ran past its 131072 byte stack limit at level site-1: stack overflow/);
    await expectRecovered(recurse);
  });

  it('reports a 100 MB string result as EDGESUM_PLUGIN_MEMORY: it cannot be built within the memory budget', async () => {
    const big = await load('big-output');
    await expectBreach(big.reduce([[attack()]], call), ErrorCodes.PluginMemory, 'big-output');
    await expectRecovered(big);
  });

  it('reports a result above the output limit, built within the memory budget, as EDGESUM_PLUGIN_OUTPUT', async () => {
    const medium = await load('medium-output');
    const error = await expectBreach(medium.reduce([[attack()]], call), ErrorCodes.PluginOutput, 'medium-output');
    expect(error.message).toBe('medium-output.add returned 2000004 bytes, above the 1048576 byte output limit');
    await expectRecovered(medium);
  });

  it.each([
    ['cyclic', /returned a value that is not JSON: \$\[0\]\.self refers back to an enclosing value \(a cycle\)/],
    ['bigint', /returned a value that is not JSON: .*BigInt/i],
    ['deep', /returned a value that is not JSON: \$(\[0\])+ is nested deeper than 64 levels/],
  ])('reports a %s result as EDGESUM_PLUGIN_OUTPUT', async (name, message) => {
    const handle = await load(name, { memoryBytes: 128 * mib });
    const error = await expectBreach(handle.reduce([[attack()]], call), ErrorCodes.PluginOutput, name);
    expect(error.message).toMatch(message);
    await expectRecovered(handle);
  });

  it('reports throw 42 as EDGESUM_PLUGIN_THREW with the value in the message', async () => {
    const thrower = await load('throw-42');
    const error = await expectBreach(thrower.reduce([[attack()]], call), ErrorCodes.PluginThrew, 'throw-42');
    expect(error).toBeInstanceOf(PluginThrewError);
    expect(error.message).toBe('throw-42.add threw at level site-1: 42');
    await expectRecovered(thrower);
  });

  it('puts a thrown Error’s message and its source line into PluginThrewError', async () => {
    const thrower = await load('throw-error');
    const error = await expectBreach(thrower.reduce([[normal, normal, attack()]], call), ErrorCodes.PluginThrew, 'throw-error');
    expect(error.message).toBe('throw-error.add threw at level site-1: replica count went negative after 2 reports (at test/hostile/plugins/throw-error.ts:6:15)');
    await expectRecovered(thrower);
  });

  it.each(['out-of-memory', 'interrupted', 'look-alike'])('reports a plugin that throws QuickJS’s own %s error itself as EDGESUM_PLUGIN_THREW', async (kind) => {
    const fake = await load('fake-breach');
    const started = performance.now();
    const error = await expectBreach(fake.reduce([[attack(kind)]], call), ErrorCodes.PluginThrew, 'fake-breach');
    expect(error).toBeInstanceOf(PluginThrewError);
    expect(error.message).toMatch(/^fake-breach\.add threw at level site-1: (out of memory|interrupted) \(at test\/hostile\/plugins\/fake-breach\.ts:\d+:\d+\)$/);
    expect(performance.now() - started).toBeLessThan(boundMs);
    await expect(fake.reduce([[normal, normal]], call)).resolves.toEqual([2]);
    await expectBystanderWorks(runner);
  });

  it.each(['uses-process', 'uses-fetch'])('contains %s: the global is not there, the hook throws a typed error', async (name) => {
    const handle = await load(name);
    const error = await expectBreach(handle.reduce([[attack()]], call), ErrorCodes.PluginThrew, name);
    expect(error.message).toMatch(/'(process|fetch)' is not defined/);
    await expectRecovered(handle);
  });

  it.each([
    ['uses-require', 'child_process'],
    ['uses-import', 'fs'],
  ])('contains %s: importing a Node built-in fails to load, naming the file and line', async (name, module) => {
    const error = (await load(name).catch((e: unknown) => e)) as PluginLoadError;
    expect(error).toBeInstanceOf(PluginLoadError);
    expect(error.message).toMatch(new RegExp(`${name}\\.ts:\\d+:\\d+: cannot import "${module}"`));
  });

  it('contains a module that reads process while it initializes: a load error', async () => {
    const error = (await load('process-at-load').catch((e: unknown) => e)) as PluginLoadError;
    expect(error).toBeInstanceOf(PluginLoadError);
    expect(error.message).toMatch(/threw while loading: ReferenceError: 'process' is not defined \(at test\/hostile\/plugins\/process-at-load\.ts:3:\d+\)/);
  });

  it('finds no host globals even through Function and indirect eval', async () => {
    const probe = await load('probe-globals');
    await expect(probe.reduce([[attack()]], call)).resolves.toEqual([[]]);
  });

  it('keeps a plugin that poisons Object.prototype and other built-ins from changing later calls or other plugins', async () => {
    const poison = await load('poison');
    const bystander = await load('poison');
    const clean = await bystander.finish([{ n: 0 }], call);
    // Depending on strictness the attempts are refused silently or with a TypeError: either way typed.
    await poison.reduce([[attack()]], call).catch((error: unknown) => expect(error).toBeInstanceOf(PluginThrewError));
    const [later] = await poison.finish([{ n: 3 }], call);
    expect(later).toEqual({ n: 3, polluted: null, keys: 0, push: 2, stringify: '{"a":1}', objectIsIntact: true });
    expect(await bystander.finish([{ n: 0 }], call)).toEqual(clean);
    await expect(poison.reduce([[normal, normal], []], call)).resolves.toEqual([{ n: 2 }, { n: 0 }]);
  });

  it('refuses a module that patches built-ins while it initializes: the realm is frozen before any plugin code runs', async () => {
    const patcher = await load('patch-at-load');
    await expect(patcher.reduce([[attack()]], call)).resolves.toEqual([{ n: 0, mapped: [2, 4], polluted: null, stringify: '{"a":1}', intact: true }]);
    await expectRecovered(patcher);
  });

  it('gives identical outputs for identical calls to a plugin reading Math.random and Date', async () => {
    const plugin = await load('nondeterminism');
    const run = async () => {
      const accs = await plugin.reduce([[normal, normal, normal]], call);
      return { accs, finished: await plugin.finish(accs, call) };
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.finished[0]).toMatchObject({ now: Date.parse(call.now), iso: '2026-11-24T10:00:00.000Z' });
  });
});

describe('plugins that read host files while they are bundled', () => {
  const runner = new QuickJsRunner({ limits });
  const scratch = mkdtempSync(join(tmpdir(), 'edgesum-hostile-'));
  afterAll(async () => {
    await runner.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });
  const secret = 'edgesum-hostile-secret-7f3a';
  const contract = JSON.stringify(fileURLToPath(new URL('../../core/contract.js', import.meta.url)));
  mkdirSync(join(scratch, 'outside'));
  mkdirSync(join(scratch, 'plugin'));
  writeFileSync(join(scratch, 'outside', 'secret.json'), JSON.stringify({ token: secret }));
  writeFileSync(join(scratch, 'outside', 'code.ts'), `export const token = ${JSON.stringify(secret)};\n`);
  symlinkSync('../outside/code.ts', join(scratch, 'plugin', 'link.ts'));
  symlinkSync('/dev/zero', join(scratch, 'plugin', 'zero.ts'));
  const fifo = join(scratch, 'plugin', 'fifo.ts');
  const hasFifo = spawnSync('mkfifo', [fifo]).status === 0;

  /** A plugin in the scratch package whose accumulator carries `value`, after `imports`. */
  function scratchPlugin(name: string, imports: string, value: string): PluginSource {
    const entry = join(scratch, 'plugin', `${name}.ts`);
    writeFileSync(entry, `${imports}\nimport { defineReducer } from ${contract};\nexport default defineReducer({ name: '${name}', version: '1.0.0', init: () => ({ leak: ${value} }), add: (acc) => acc, merge: (a) => a, finish: (a) => a });\n`);
    return { spec: `./${name}.ts`, entry };
  }

  /** What the plugin does, its source, the import the error must name, and what the error must never show. */
  const attacks: [string, () => PluginSource, string, string][] = [
    ['a text import of /etc/passwd', () => hostile('reads-passwd'), '/etc/passwd', 'root:'],
    ['a text import of /proc/self/environ', () => hostile('reads-environ'), '/proc/self/environ', 'PATH='],
    ['a JSON import from outside the package', () => scratchPlugin('outside-json', `import data from '../outside/secret.json';`, 'data.token'), '../outside/secret.json', secret],
    ['a symbolic link out of the package', () => scratchPlugin('linked', `import { token } from './link.ts';`, 'token'), './link.ts', secret],
    ['/dev/zero as the entry', () => ({ spec: '/dev/zero', entry: '/dev/zero' }), '/dev/zero', '\0'],
    ['a symbolic link to /dev/zero as the entry', () => ({ spec: './zero.ts', entry: join(scratch, 'plugin', 'zero.ts') }), join(scratch, 'plugin', 'zero.ts'), '\0'],
  ];
  if (hasFifo) attacks.push(['a FIFO as the entry', () => ({ spec: './fifo.ts', entry: fifo }), fifo, '\0']);

  it.each(attacks)('refuses %s with EDGESUM_PLUGIN_LOAD, naming the import and never its contents', async (_what, source, named, content) => {
    const plugin = source();
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    const error = (await runner.loadReducer(plugin).then(
      (handle) => expect.unreachable(`loaded ${handle.info.name}`),
      (e: unknown) => e,
    )) as PluginLoadError;
    expect(error).toBeInstanceOf(PluginLoadError);
    expect(error).toMatchObject({ code: ErrorCodes.PluginLoad, plugin: plugin.spec });
    expect(error.message).toContain(`cannot import "${named}"`);
    expect([error.message, ...error.issues.map((issue) => issue.message)].join('\n')).not.toContain(content);
    expect(performance.now() - started).toBeLessThan(boundMs);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * mib);
    await expectBystanderWorks(runner);
  });
});

/** Built-in calls that loop in C without reaching QuickJS's interrupt handler, by their `attack` in `plugins/uninterruptible.ts`. */
const uninterruptible = [
  ['an indexOf over a huge array-like', 'array-like indexOf'],
  ['a lastIndexOf over a huge array-like', 'array-like lastIndexOf'],
  ['an includes over a huge array-like', 'array-like includes'],
  ['a join of a huge sparse array', 'join'],
  ['an indexOf on a big string', 'string indexOf'],
  ['an includes on a big string', 'string includes'],
];

describe.each([
  ['quickjs', () => new QuickJsRunner({ limits })],
  ['quickjs-pool', () => new PooledRunner({ workers: 2, limits })],
])('uninterruptible built-ins in the %s runner', (name, create) => {
  const runner = create();
  let threadsBefore: number | undefined;
  beforeAll(() => {
    threadsBefore = threadCount();
  });
  afterAll(() => runner.dispose());

  it.each(uninterruptible)('stops %s at the deadline with EDGESUM_PLUGIN_TIMEOUT, and the runner works on', async (_what, kind) => {
    const plugin = await runner.loadReducer(hostile('uninterruptible'), short);
    const bystander = await runner.loadReducer(fixture('counter'));
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    const error = await expectBreach(plugin.reduce([[attack(kind)]], call), ErrorCodes.PluginTimeout, 'uninterruptible');
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect(error.message).toBe('uninterruptible.add ran past its 1000 ms time limit at level site-1');
    expect(performance.now() - started).toBeLessThan(boundMs);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * mib);
    await expect(plugin.reduce([[normal, normal]], call)).resolves.toEqual([2]);
    await expect(bystander.reduce([[normal]], call)).resolves.toEqual([{ reports: 1, ready: 1, destinations: ['edge-1'] }]);
  });

  it('leaves no worker thread behind once disposed, terminated ones included', async () => {
    await runner.dispose();
    const after = await threadCountSettled(threadsBefore);
    if (threadsBefore !== undefined && after !== undefined) expect(after).toBeLessThanOrEqual(threadsBefore);
    expect(name).toBe(runner.name);
  });
});

describe('one long built-in call in the QuickJS engine', () => {
  it('is a timeout when it returns past the deadline without ever reaching the interrupt handler', async () => {
    const runner = new InThreadQuickJsRunner({ limits: { ...limits, timeMs: 300 } });
    try {
      const join = await runner.loadReducer(hostile('uninterruptible'));
      // 2**27 holes take seconds in QuickJS's C loop: never within 300 ms, which the ordinary call after it never nears.
      await expect(join.reduce([[report('edge-evil', { attack: 'join', length: 2 ** 27 })]], call)).rejects.toMatchObject({
        code: ErrorCodes.PluginTimeout,
        message: 'uninterruptible.add ran past its 300 ms time limit at level site-1',
      });
      await expect(join.reduce([[normal, normal]], call)).resolves.toEqual([2]);
    } finally {
      await runner.dispose();
    }
  });
});

describe('a plugin faking a breach', () => {
  it('keeps the WebAssembly module every plugin of the runner shares', async () => {
    const modules: QuickJsModule[] = [];
    const newModule: QuickJsModuleFactory = async () => {
      const module = await newReleaseModule();
      modules.push(module);
      return module;
    };
    const runner = new InThreadQuickJsRunner({ limits, newModule });
    try {
      const fake = await runner.loadReducer(hostile('fake-breach'));
      const counter = await runner.loadReducer(fixture('counter'));
      for (const kind of ['out-of-memory', 'interrupted', 'look-alike']) {
        await expect(fake.reduce([[attack(kind)]], call)).rejects.toMatchObject({ code: ErrorCodes.PluginThrew });
      }
      await expect(counter.reduce([[normal]], call)).resolves.toEqual([{ reports: 1, ready: 1, destinations: ['edge-1'] }]);
      expect(modules).toHaveLength(1);
    } finally {
      await runner.dispose();
    }
  });
});

describe('hostile plugins leave nothing behind', () => {
  const modules: LeakCheckedModule[] = [];
  // The debug build (leak sanitizer on) is ~50x slower. A clock that advances 1 ms each time the
  // engine reads it makes every limit a count of interrupt polls: the same on any machine.
  let ticks = 0;
  const runner = new InThreadQuickJsRunner({
    now: () => ticks++,
    limits: { ...limits, ...short, memoryBytes: 512 * mib },
    newModule: LeakCheckedModule.factory(modules),
  });

  it('disposes every runtime and handle after timeouts, stack overflows, bad output, throws and async leftovers', async () => {
    const plugin = await runner.loadReducer(hostile('multi-attack'));
    const breaches: [string, ErrorCode][] = [
      ['spin', ErrorCodes.PluginTimeout],
      ['recurse', ErrorCodes.PluginStack],
      ['cyclic', ErrorCodes.PluginOutput],
      ['throw', ErrorCodes.PluginThrew],
    ];
    for (const [kind, code] of breaches) await expect(plugin.reduce([[attack(kind)]], call)).rejects.toMatchObject({ code });
    // An async hook's promise is refused as output, and its pending job dropped with the runtime.
    await expect(plugin.reduce([[attack('async')]], call)).rejects.toMatchObject({ code: ErrorCodes.PluginOutput, message: expect.stringContaining('is a Promise') });
    await expect(plugin.reduce([[normal, normal]], call)).resolves.toEqual([2]);
    expect(modules).toHaveLength(1);
    await runner.dispose();
    modules[0]!.assertNoLeaks();
  });
});
