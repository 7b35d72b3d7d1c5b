import type { Customizer, CustomizeTarget, Json, Policy, PolicyInput, Reducer, StatusReport } from '../../core/contract.js';
import { asEdgesumError, ErrorCodes, PluginTimeoutError } from '../../core/errors.js';
import { reduceOnce, reducerRetractsWith } from '../../core/pipeline/index.js';
import type { CustomizerHandle, PluginRunner } from '../../core/ports/index.js';
import { checkCustomizerLaws, checkPolicyConformance, checkReducerLaws, environmentOf, type Violation } from '../../core/testing/index.js';
import { shrinkDealt, shrinkSubset } from './shrink.js';
import type { PluginProject } from './project.js';

/** One broken law as `edgesum plugin check` reports it. */
export interface LawFinding {
  readonly law: string;
  /** The hook that breaks it, when known. */
  readonly hook?: string;
  /** Where that hook is written: `src/index.ts:12:3`. */
  readonly at?: string;
  readonly message: string;
  /** The smallest case found that still breaks the law. */
  readonly counterexample?: Counterexample;
}

/**
 * A reducer's counterexample: the reports in the order they were folded and the parts they were
 * dealt into; a policy's: the input, with as few children as still break the law.
 */
export type Counterexample =
  | { readonly reports: readonly StatusReport[]; readonly partitions: readonly (readonly string[])[]; readonly of: number }
  | { readonly input: PolicyInput; readonly case: string; readonly of: number }
  | (CustomizerFixtures & { readonly of: number });

/** What a customizer's fixtures hold: the object, the levels above a site's destinations, and those. */
export interface CustomizerFixtures {
  readonly options: Json;
  readonly object: Json;
  readonly chain: readonly CustomizeTarget[];
  readonly destinations: readonly CustomizeTarget[];
}

/** The batch the limits are checked on: as many reports as a large site folds at once. */
export const limitsBatch = 10_000;
const now = '2026-01-01T00:00:00Z';

/** Where a report sits among the counterexample's parts, by destination id. */
function partitionIds(parts: readonly (readonly StatusReport[])[]): string[][] {
  return parts.map((part) => part.map((report) => report.destination));
}

/**
 * Checks a reducer the way `edgesum plugin check` does: every law of `checkReducerLaws` on the
 * fixture reports, each violation shrunk to a small counterexample, then the sandbox's default
 * limits on a batch of {@link limitsBatch} reports.
 */
export async function checkReducer(plugin: Reducer, options: Json, reports: readonly StatusReport[], runner: PluginRunner, project: PluginProject): Promise<LawFinding[]> {
  // The sandbox first: the laws call hooks in this process, where nothing would stop a hook that never returns.
  const limits = await checkLimits(plugin, project, options, reports, runner);
  if (limits.some((found) => found.timedOut)) return limits.map(({ timedOut: _, ...found }) => ({ ...found, message: `${found.message}; the other laws were not checked, as a hook that never returns would hang them` }));
  const retracts = reducerRetractsWith(plugin, options);
  const violations = checkReducerLaws(plugin, { options, reports, retracts });
  const findings: LawFinding[] = [];
  const done = new Set<string>();
  for (const violation of violations) {
    // One counterexample per law and hook: the other messages of the same law say the same thing.
    const key = `${violation.law}/${violation.hook ?? ''}`;
    if (done.has(key)) continue;
    done.add(key);
    const breaks = (sub: { items: StatusReport[]; parts: StatusReport[][] }) =>
      checkReducerLaws(plugin, { options, reports: sub.items, partitions: sub.parts, retracts, laws: [violation.law] }).some((found) => sameFinding(found, violation));
    const shrunk = violation.law === 'arguments' ? undefined : shrinkDealt(reports, breaks);
    const again = shrunk === undefined ? undefined : checkReducerLaws(plugin, { options, reports: shrunk.items, partitions: shrunk.parts, retracts, laws: [violation.law] }).find((found) => sameFinding(found, violation));
    findings.push(finding(plugin, again ?? violation, shrunk === undefined ? undefined : { reports: shrunk.items, partitions: partitionIds(shrunk.parts), of: reports.length }));
  }
  findings.push(...limits);
  return findings;
}

function sameFinding<Law extends string>(found: Violation<Law>, wanted: Violation<Law>): boolean {
  return found.law === wanted.law && found.hook === wanted.hook;
}

function finding(plugin: object, violation: Violation, counterexample: Counterexample | undefined): LawFinding {
  const at = violation.hook === undefined ? undefined : environmentOf(plugin)?.locate?.(violation.hook);
  return {
    law: violation.law,
    ...(violation.hook === undefined ? {} : { hook: violation.hook }),
    ...(at === undefined ? {} : { at }),
    message: violation.message,
    ...(counterexample === undefined ? {} : { counterexample }),
  };
}

/** The fixture reports again and again, each copy under its own destination id, up to `count`. */
function batchOf(reports: readonly StatusReport[], count: number): StatusReport[] {
  return Array.from({ length: count }, (_, i) => {
    const report = reports[i % reports.length]!;
    const copy = Math.floor(i / reports.length);
    return copy === 0 ? report : { ...report, destination: `${report.destination}~${copy}` };
  });
}

async function checkLimits(plugin: object, project: PluginProject, options: Json, reports: readonly StatusReport[], runner: PluginRunner): Promise<(LawFinding & { timedOut?: boolean })[]> {
  if (reports.length === 0) return [];
  const batch = batchOf(reports, limitsBatch);
  let failure: unknown;
  let onFixture = false;
  try {
    const handle = await runner.loadReducer(project.source);
    // The fixture alone first: it starts the sandbox, so that start is not counted against the
    // batch's time, and a fixture the sandbox cannot fold in time would hang the in-process laws.
    onFixture = true;
    await reduceOnce(handle, reports, { options, now, partitions: 1 });
    onFixture = false;
    // A time limit is confirmed by a second run: a busy machine alone must not fail the check.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await reduceOnce(handle, batch, { options, now, partitions: 1 });
        return [];
      } catch (error) {
        failure = error;
        if (!(error instanceof PluginTimeoutError)) break;
      }
    }
  } catch (error) {
    failure = error;
  }
  const typed = asEdgesumError(failure, ErrorCodes.Internal);
  const at = typed.hook === undefined ? undefined : environmentOf(plugin)?.locate?.(typed.hook);
  return [
    {
      law: 'limits',
      ...(typed.hook === undefined ? {} : { hook: typed.hook }),
      ...(at === undefined ? {} : { at }),
      message: `folding, merging and finishing ${onFixture ? `the ${reports.length} fixture reports` : `${limitsBatch} reports (the fixture's, under other destination ids)`} in the ${runner.name} sandbox with the default limits failed: ${typed.code}: ${typed.message}`,
      ...(onFixture && failure instanceof PluginTimeoutError ? { timedOut: true } : {}),
    },
  ];
}

/**
 * Checks a policy on every decision case: first each case in the sandbox, where a `decide` that
 * never returns is stopped (the laws are then skipped: they call it in this process), then the laws
 * of `checkPolicyConformance`, each violation shrunk to the fewest children.
 */
export async function checkPolicy(policy: Policy, cases: readonly { name: string; options: Json; input: PolicyInput }[], runner: PluginRunner, project: PluginProject): Promise<LawFinding[]> {
  const handle = await runner.loadPolicy(project.source);
  for (const { name, options, input } of cases) {
    try {
      await handle.decide([input], options, { id: input.level, kind: 'region' });
    } catch (error) {
      if (!(error instanceof PluginTimeoutError)) continue;
      const at = environmentOf(policy)?.locate?.('decide');
      return [{ law: 'limits', hook: 'decide', ...(at === undefined ? {} : { at }), message: `deciding case ${name} in the ${runner.name} sandbox failed: ${error.code}: ${error.message}; the laws were not checked, as a decide that never returns would hang them` }];
    }
  }
  const findings: LawFinding[] = [];
  const done = new Set<string>();
  for (const { name, options, input } of cases) {
    for (const violation of checkPolicyConformance(policy, { options, input })) {
      if (done.has(violation.law)) continue;
      done.add(violation.law);
      const breaks = (children: PolicyInput['children'][number][]) => checkPolicyConformance(policy, { options, input: { ...input, children } }).some((found) => found.law === violation.law);
      const children = violation.law === 'arguments' ? undefined : shrinkSubset(input.children, breaks);
      const shrunk = children === undefined ? input : { ...input, children };
      const again = children === undefined ? undefined : checkPolicyConformance(policy, { options, input: shrunk }).find((found) => found.law === violation.law);
      findings.push(finding(policy, { hook: 'decide', ...(again ?? violation) }, { input: shrunk, case: name, of: input.children.length }));
    }
  }
  return findings;
}

/**
 * Renders the fixture object down the chain, one level at a time as the hierarchy does (each level
 * gets a JSON copy of its parent's rendering), then for every destination: the renderings by id.
 */
export async function renderFixtures(handle: CustomizerHandle, fixtures: CustomizerFixtures): Promise<Record<string, Json>> {
  const call = (level: CustomizeTarget) => ({ options: fixtures.options, pattern: 'fixtures', level: { id: level.id, kind: level.kind === 'destination' ? ('site' as const) : level.kind }, now });
  let object = fixtures.object;
  for (const [i, level] of fixtures.chain.entries()) [object] = (await handle.customize([{ object, target: level, chain: fixtures.chain.slice(0, i) }], call(level))) as [Json];
  const site = fixtures.chain.at(-1)!;
  const rendered = await handle.customize(
    fixtures.destinations.map((target) => ({ object, target, chain: fixtures.chain })),
    call(site),
  );
  return Object.fromEntries(fixtures.destinations.map((target, i) => [target.id, rendered[i]!]));
}

/**
 * Checks a customizer on its fixtures: first rendering them in the sandbox, where a `customize`
 * that never returns is stopped (the laws are then skipped: they call it in this process), then the
 * laws of `checkCustomizerLaws`, each violation shrunk to the fewest destinations.
 */
export async function checkCustomizer(customizer: Customizer, fixtures: CustomizerFixtures, handle: CustomizerHandle, runner: PluginRunner): Promise<LawFinding[]> {
  try {
    await renderFixtures(handle, fixtures);
  } catch (error) {
    if (error instanceof PluginTimeoutError) {
      const at = environmentOf(customizer)?.locate?.('customize');
      return [{ law: 'limits', hook: 'customize', ...(at === undefined ? {} : { at }), message: `rendering the fixtures in the ${runner.name} sandbox failed: ${error.code}: ${error.message}; the laws were not checked, as a customize that never returns would hang them` }];
    }
  }
  const laws = (destinations: readonly CustomizeTarget[]) => checkCustomizerLaws(customizer, { ...fixtures, destinations });
  const findings: LawFinding[] = [];
  const done = new Set<string>();
  for (const violation of laws(fixtures.destinations)) {
    if (done.has(violation.law)) continue;
    done.add(violation.law);
    const destinations = violation.law === 'arguments' ? undefined : shrinkSubset(fixtures.destinations, (some) => some.length > 0 && laws(some).some((found) => found.law === violation.law));
    const again = destinations === undefined ? undefined : laws(destinations).find((found) => found.law === violation.law);
    findings.push(finding(customizer, { hook: 'customize', ...(again ?? violation) }, { ...fixtures, destinations: destinations ?? fixtures.destinations, of: fixtures.destinations.length }));
  }
  return findings;
}

/** Findings for people: the law, the hook and its source line, what happened, and the counterexample in full JSON. */
export function formatFindings(findings: readonly LawFinding[]): string {
  return findings
    .map((found) => {
      const where = found.hook === undefined ? '' : ` in ${found.hook}${found.at === undefined ? '' : ` (${found.at})`}`;
      const lines = [`✗ ${found.law}${where}`, `  ${found.message}`];
      const example = found.counterexample;
      if (example !== undefined && 'reports' in example) {
        lines.push(`  counterexample: ${example.reports.length} of the ${example.of} fixture reports, folded in this order, dealt into ${example.partitions.length} part${example.partitions.length === 1 ? '' : 's'}: ${example.partitions.map((part) => `[${part.join(', ')}]`).join(' ')}`);
        for (const report of example.reports) lines.push(`    ${JSON.stringify(report)}`);
      } else if (example !== undefined && 'destinations' in example) {
        lines.push(`  counterexample: ${example.destinations.length} of the ${example.of} fixture destinations, below ${example.chain.map((level) => level.id).join(' > ')}:`);
        for (const destination of example.destinations) lines.push(`    ${JSON.stringify(destination)}`);
        lines.push('  rendering the object:', `    ${JSON.stringify(example.object)}`);
      } else if (example !== undefined) {
        lines.push(`  counterexample: case ${example.case} with ${example.input.children.length} of its ${example.of} children:`);
        lines.push(`    ${JSON.stringify(example.input)}`);
      }
      return lines.join('\n');
    })
    .join('\n');
}
