import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { loadCustomizer, loadPolicy, loadReducer } from '../../app/testing.js';
import type { Json, PolicyInput, StatusReport } from '../../core/contract.js';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { parseOrThrow, parseReports } from '../../core/model/index.js';
import { compileOptions, latestReports, projectingHandle, reduceOnce } from '../../core/pipeline/index.js';
import type { CustomizerHandle, PluginRunner } from '../../core/ports/index.js';
import { PolicyInputSchema } from '../../core/rollout/index.js';
import { diffJson, formatJsonDiff } from '../../core/testing/index.js';
import { decideCases } from '../cases.js';
import type { Output } from '../io.js';
import { checkCustomizer, checkPolicy, checkReducer, renderFixtures, type CustomizerFixtures, type LawFinding } from './check.js';
import { shown, type PluginProject } from './project.js';
import { customizerFiles, policyFiles, reducerFiles } from './templates.js';

/** What the `edgesum plugin` commands need from a command run. */
export interface KitDeps {
  readonly runner: PluginRunner;
  readonly output: Output;
  readonly json: boolean;
}

/**
 * One kind of plugin, as `edgesum plugin new|test|check` handle it. A new kind (a customizer, say)
 * is one more entry in {@link pluginKinds}: its template, how its fixtures run, how it is checked.
 */
export interface PluginKind {
  /** One line for `edgesum plugin new --help`. */
  readonly summary: string;
  /** The files of a new repository besides the common ones (`src/index.ts`, fixtures, the test). */
  files(name: string): Record<string, string>;
  /** What the README says about the fixtures. */
  readonly fixturesDoc: string;
  /** The contract type that documents the kind's laws. */
  readonly contractType: string;
  /** The command that runs the plugin once on its fixtures, for the README. */
  readonly tryIt: string;
  /** `edgesum plugin test`: runs the fixtures in the sandbox; resolves to the exit code. */
  test(project: PluginProject, deps: KitDeps): Promise<number>;
  /** `edgesum plugin check`: every law of the kind, each broken one with its counterexample. */
  check(project: PluginProject, deps: KitDeps): Promise<LawFinding[]>;
}

/** The fixed `now` fixtures are folded at, so a fixture's expected summary never depends on the day. */
export const fixtureNow = '2026-01-01T00:00:00Z';

const reducerKind: PluginKind = {
  summary: 'a reducer: folds status reports into a mergeable summary',
  files: reducerFiles,
  contractType: 'Reducer',
  tryIt: 'edgesum reduce --reducer ./src/index.ts --reports fixtures/reports.jsonl',
  fixturesDoc: `## Fixtures

\`fixtures/reports.jsonl\` holds status reports, one JSON object a line; \`fixtures/options.json\` the
reducer's options; \`fixtures/expected.json\` the summary they must fold into. \`edgesum plugin test\`
folds the reports in the sandbox (at \`now\` = ${fixtureNow}) and prints where the summary differs
from the expected one, path by path. \`edgesum plugin check\` checks every reducer law on the same
reports, and the sandbox's limits on 10,000 of them.`,
  async test(project, deps) {
    const { options, reports } = reducerFixtures(project);
    const expected = readJson(join(project.fixtures, 'expected.json'));
    const handle = await deps.runner.loadReducer(project.source);
    const valid = compileOptions(handle.info)(options, { where: relative(project.dir, join(project.fixtures, 'options.json')) });
    const summary = await reduceOnce(projectingHandle(handle, valid), reports, { options: valid, now: fixtureNow, partitions: 1 });
    const diff = diffJson(expected, summary);
    if (deps.json) deps.output.out(`${JSON.stringify({ ok: diff.length === 0, summary, diff })}\n`);
    else if (diff.length === 0) deps.output.out(`ok   ${reports.length} reports fold into fixtures/expected.json\n`);
    else deps.output.out(`FAIL the summary of fixtures/reports.jsonl differs from fixtures/expected.json:\n${formatJsonDiff(diff, '  ')}\n`);
    return diff.length === 0 ? 0 : 1;
  },
  async check(project, deps) {
    const { options, reports } = reducerFixtures(project);
    const reducer = await loadReducer(project.source.entry);
    return checkReducer(reducer, options, reports, deps.runner, project);
  },
};

const policyKind: PluginKind = {
  summary: 'a rollout policy: decides which children roll out next',
  files: policyFiles,
  contractType: 'Policy',
  tryIt: 'edgesum decide --cases fixtures/cases',
  fixturesDoc: `## Fixtures

\`fixtures/cases/<case>/\` holds one decision case each: \`policy.json\` (the policy's path, relative to
the case, and its options), \`input.json\` (a policy input) and \`expected.json\` (the decision).
\`edgesum plugin test\` decides every case in the sandbox and prints where a decision differs from
the expected one, path by path (as \`edgesum decide --cases fixtures/cases\`). \`edgesum plugin check\`
checks every policy law on every case's input.`,
  test(project, deps) {
    return decideCases(join(project.fixtures, 'cases'), deps);
  },
  async check(project, deps) {
    const policy = await loadPolicy(project.source.entry);
    return checkPolicy(policy, policyCases(project), deps.runner, project);
  },
};

const customizerKind: PluginKind = {
  summary: 'a customizer: renders an object for each level and destination',
  files: customizerFiles,
  contractType: 'Customizer',
  tryIt: 'edgesum customize --pattern <pattern.json> --object fixtures/object.json --destination edge-1',
  fixturesDoc: `## Fixtures

\`fixtures/object.json\` holds the object a pattern starts from; \`fixtures/targets.json\` the levels it
passes through (\`chain\`: center, region, site, each with its labels) and the site's
\`destinations\`; \`fixtures/options.json\` the customizer's options; \`fixtures/expected.json\` each
destination's rendering, by id. \`edgesum plugin test\` renders the object level by level in the
sandbox (at \`now\` = ${fixtureNow}), as the hierarchy does, and prints where a rendering differs
from the expected one, path by path. \`edgesum plugin check\` checks every customizer law on the same
object and targets.`,
  async test(project, deps) {
    const fixtures = customizerFixtures(project);
    const expected = readJson(join(project.fixtures, 'expected.json'));
    const handle = await loadCustomizerHandle(project, deps.runner);
    const options = compileOptions(handle.info)(fixtures.options, { where: relative(project.dir, join(project.fixtures, 'options.json')) });
    const rendered = await renderFixtures(handle, { ...fixtures, options });
    const diff = diffJson(expected, rendered);
    if (deps.json) deps.output.out(`${JSON.stringify({ ok: diff.length === 0, rendered, diff })}\n`);
    else if (diff.length === 0) deps.output.out(`ok   ${fixtures.destinations.length} destinations render as fixtures/expected.json says\n`);
    else deps.output.out(`FAIL the renderings of fixtures/object.json differ from fixtures/expected.json:\n${formatJsonDiff(diff, '  ')}\n`);
    return diff.length === 0 ? 0 : 1;
  },
  async check(project, deps) {
    const fixtures = customizerFixtures(project);
    const customizer = await loadCustomizer(project.source.entry);
    return checkCustomizer(customizer, fixtures, await loadCustomizerHandle(project, deps.runner), deps.runner);
  },
};

/** Every kind `edgesum plugin` knows, by the name `--kind` and `package.json` use. */
export const pluginKinds: Readonly<Record<string, PluginKind>> = { reducer: reducerKind, policy: policyKind, customizer: customizerKind };

/** The kind of a project or a `--kind` flag, or a usage error listing the kinds. */
export function kindNamed(name: string, where: string): PluginKind {
  const kind = Object.hasOwn(pluginKinds, name) ? pluginKinds[name] : undefined;
  if (kind === undefined) throw new ValidationError(ErrorCodes.Usage, `${where}: unknown plugin kind ${JSON.stringify(name)}; the kinds are ${Object.keys(pluginKinds).join(', ')}`);
  return kind;
}

function readJson(path: string): Json {
  if (!existsSync(path)) throw new ValidationError(ErrorCodes.InvalidInput, `${shown(path)} is missing`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch {
    throw new ValidationError(ErrorCodes.InvalidInput, `${shown(path)} is not valid JSON`);
  }
}

function reducerFixtures(project: PluginProject): { options: Json; reports: StatusReport[] } {
  const optionsFile = join(project.fixtures, 'options.json');
  const options = existsSync(optionsFile) ? readJson(optionsFile) : {};
  const file = join(project.fixtures, 'reports.jsonl');
  if (!existsSync(file)) throw new ValidationError(ErrorCodes.InvalidInput, `${shown(file)} is missing`);
  const lines = readFileSync(file, 'utf8').split('\n');
  const items = lines.flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      throw new ValidationError(ErrorCodes.InvalidInput, `${shown(file)}:${i + 1} is not valid JSON`);
    }
  });
  const parsed = parseReports(items);
  const rejected = parsed.rejected[0];
  if (rejected !== undefined) {
    const issue = rejected.issues[0];
    throw new ValidationError(ErrorCodes.InvalidInput, `${shown(file)}: report ${rejected.index + 1}: ${issue?.path ?? ''}: ${issue?.message ?? rejected.code}`, { issues: rejected.issues });
  }
  return { options, reports: latestReports(parsed.accepted).latest };
}

function policyCases(project: PluginProject): { name: string; options: Json; input: PolicyInput }[] {
  const root = join(project.fixtures, 'cases');
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ValidationError(ErrorCodes.InvalidInput, `${shown(root)} is missing: a policy's fixtures are decision cases`);
  const cases = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'input.json')))
    .map((entry) => entry.name)
    .sort();
  if (cases.length === 0) throw new ValidationError(ErrorCodes.InvalidInput, `${shown(root)} holds no decision case (a folder with policy.json and input.json)`);
  return cases.map((name) => {
    const policyFile = join(root, name, 'policy.json');
    const policy = existsSync(policyFile) ? readJson(policyFile) : {};
    const options = (typeof policy === 'object' && policy !== null && !Array.isArray(policy) ? policy.options : undefined) ?? {};
    const input = parseOrThrow(PolicyInputSchema, readJson(join(root, name, 'input.json')), `${name}/input.json`, ErrorCodes.InvalidPolicyInput) as PolicyInput;
    return { name, options, input };
  });
}

function loadCustomizerHandle(project: PluginProject, runner: PluginRunner): Promise<CustomizerHandle> {
  if (runner.loadCustomizer === undefined) throw new ValidationError(ErrorCodes.Usage, `the ${runner.name} runner does not run customizers`);
  return runner.loadCustomizer(project.source);
}

const labels = z.record(z.string().min(1), z.string()).default({});
const TargetsSchema = z.strictObject({
  chain: z
    .array(z.strictObject({ id: z.string().min(1), kind: z.enum(['center', 'region', 'site']), labels }))
    .min(1)
    .refine((chain) => chain[0]!.kind === 'center' && chain.at(-1)!.kind === 'site', 'a chain runs from the center down to a site'),
  destinations: z
    .array(z.strictObject({ id: z.string().min(1), kind: z.literal('destination').default('destination'), labels }))
    .min(1)
    .refine((destinations) => new Set(destinations.map((destination) => destination.id)).size === destinations.length, 'two destinations have the same id: expected.json holds one rendering per id'),
});

function customizerFixtures(project: PluginProject): CustomizerFixtures {
  const optionsFile = join(project.fixtures, 'options.json');
  const options = existsSync(optionsFile) ? readJson(optionsFile) : {};
  const targetsFile = join(project.fixtures, 'targets.json');
  const targets = parseOrThrow(TargetsSchema, readJson(targetsFile), shown(targetsFile), ErrorCodes.InvalidInput);
  return { options, object: readJson(join(project.fixtures, 'object.json')), chain: targets.chain, destinations: targets.destinations };
}
