/**
 * Discovers the built-in plugins the way the host does (through the catalog), and registers one
 * conformance suite over all of a kind, so a new `plugins/<name>/index.ts` joins it unlisted.
 */
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FilePluginCatalog } from '../../core/catalog/index.js';
import type { Customizer, JsonObject, Policy, Reducer } from '../../core/contract.js';

/** The built-ins by name, split by kind: a policy is a plugin with a `decide` hook. */
export interface Builtins {
  readonly reducers: ReadonlyMap<string, Reducer>;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly customizers: ReadonlyMap<string, Customizer>;
}

/** Imports every built-in listed by the catalog, in the catalog's (sorted) order. */
export async function loadBuiltins(): Promise<Builtins> {
  const catalog = new FilePluginCatalog();
  const reducers = new Map<string, Reducer>();
  const policies = new Map<string, Policy>();
  const customizers = new Map<string, Customizer>();
  for (const name of catalog.builtins()) {
    const module = (await import(pathToFileURL(catalog.resolve(`builtin:${name}`).entry).href)) as { default?: unknown };
    const plugin = module.default as Partial<Policy & Customizer> | undefined;
    if (typeof plugin?.decide === 'function') policies.set(name, plugin as Policy);
    else if (typeof plugin?.customize === 'function') customizers.set(name, plugin as Customizer);
    else reducers.set(name, plugin as Reducer);
  }
  return { reducers, policies, customizers };
}

/** Table entries that name no built-in of the kind, so a renamed or removed plugin is noticed too. */
function staleEntries(table: object, discovered: ReadonlyMap<string, unknown>): string[] {
  return Object.keys(table).filter((name) => !discovered.has(name));
}

/** Whether options pass a plugin's schema, as the host validates them (zod's `fromJSONSchema`). */
function schemaAccepts(plugin: Reducer | Policy | Customizer, options: JsonObject): boolean {
  return z.fromJSONSchema(plugin.options ?? { type: 'object' }).safeParse(options).success;
}

/** Where each kind's options table is, for the messages that ask to change it. */
const tables = { reducer: 'reducerOptions in test/conformance/reducers.test.ts', policy: 'policyOptions in test/conformance/policies.test.ts', customizer: 'customizerOptions in test/conformance/customizers.test.ts' } as const;

/** What a conformance suite asserts of each built-in of a kind. */
export interface ConformanceSpec<P extends Reducer | Policy | Customizer> {
  /** Built-ins that exist today, so a catalog that finds nothing cannot pass silently. */
  readonly known: readonly string[];
  /** What `check` asserts, as a test name. */
  readonly behaviour: string;
  /** Asserts the laws for one plugin and one entry of the options table. */
  readonly check: (plugin: P, options: JsonObject) => void;
}

/**
 * Registers one suite that runs the same checks against every built-in of a kind, with each entry
 * of its options table, as Hono runs one test file against every runtime. A new built-in without
 * an entry in the table fails, asking for one.
 */
export function describeConformance<P extends Reducer | Policy | Customizer>(kind: 'reducer' | 'policy' | 'customizer', plugins: ReadonlyMap<string, P>, table: Readonly<Record<string, readonly JsonObject[]>>, spec: ConformanceSpec<P>): void {
  describe(`every built-in ${kind} conforms`, () => {
    it(`finds the built-in ${kind}s through the catalog`, () => {
      expect([...plugins.keys()]).toEqual(expect.arrayContaining([...spec.known]));
    });

    it(`has options only for built-in ${kind}s`, () => {
      expect(staleEntries(table, plugins), `remove these entries from ${tables[kind]}`).toEqual([]);
    });

    for (const [name, plugin] of plugins) {
      describe(`builtin:${name}`, () => {
        it('has options in the conformance table', () => {
          expect(table[name], `builtin:${name} is a new built-in ${kind}: add its options (see plugins/${name}/README.md) to ${tables[kind]}`).toBeDefined();
        });

        for (const options of table[name] ?? []) {
          const label = JSON.stringify(options);
          it(`accepts ${label} by its own schema`, () => expect(schemaAccepts(plugin, options)).toBe(true));
          it(`${spec.behaviour} with ${label}`, () => spec.check(plugin, options));
        }
      });
    }
  });
}
