import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { FilePluginCatalog } from '../core/catalog/index.js';
import type { Decision, Json } from '../core/contract.js';
import { decideChecked } from './decide.js';
import { asEdgesumError, ErrorCodes, ValidationError, type ErrorView } from '../core/errors.js';
import { parseOrThrow } from '../core/model/index.js';
import type { PluginRunner, PolicyHandle } from '../core/ports/index.js';
import { PolicyInputSchema } from '../core/rollout/index.js';
import { diffJson, formatJsonDiff, type JsonDifference } from '../core/testing/index.js';
import { z } from 'zod';
import { parseJson, readText, type Output } from './io.js';

/** What a case's `policy.json` holds: the policy (`builtin:NAME`, or a path relative to the case) and its options. */
const CasePolicySchema = z.strictObject({
  policy: z.string().min(1),
  options: z.record(z.string(), z.unknown()).default({}),
});

/** The outcome of one decision case. */
export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  /** Where the decision differs from `expected.json`; empty when it matches. */
  readonly diff: readonly JsonDifference[];
  /** Set when the case could not run: a missing file, bad JSON, an invalid input, a failing policy. */
  readonly error?: ErrorView;
}

/**
 * `edgesum decide --cases DIR`: runs every decision case below DIR — a folder holding
 * `policy.json`, `input.json` and `expected.json` — and compares each decision with the expected
 * one as parsed JSON. Prints a readable diff per failing case and one `N passed, M failed` line;
 * exits 1 when any case fails, 2 when DIR holds no case.
 */
export async function decideCases(dir: string, deps: { runner: PluginRunner; output: Output; json: boolean }): Promise<number> {
  const root = resolve(dir);
  const cases = findCases(root);
  if (cases.length === 0) {
    throw new ValidationError(ErrorCodes.InvalidInput, `--cases ${dir}: no decision case found (a case is a folder with policy.json, input.json and expected.json)`);
  }
  const loaded = new Map<string, Promise<PolicyHandle>>();
  const results: CaseResult[] = [];
  for (const caseDir of cases) {
    const name = relative(root, caseDir) || '.';
    try {
      const decision = await runCase(caseDir, deps.runner, loaded);
      const expected = await readCaseFile(join(caseDir, 'expected.json'));
      const diff = diffJson(expected, decision);
      results.push({ name, ok: diff.length === 0, diff });
    } catch (error) {
      results.push({ name, ok: false, diff: [], error: asEdgesumError(error, ErrorCodes.InvalidInput).toJSON() });
    }
  }
  const passed = results.filter((result) => result.ok).length;
  const failed = results.length - passed;
  if (deps.json) {
    deps.output.out(`${JSON.stringify({ cases: results, passed, failed })}\n`);
  } else {
    for (const result of results) {
      deps.output.out(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name}\n`);
      if (result.error !== undefined) deps.output.out(`  ${result.error.code}: ${result.error.message}\n`);
      else if (!result.ok) deps.output.out(`${formatJsonDiff(result.diff, '  ')}\n`);
    }
    deps.output.out(`${passed} passed, ${failed} failed\n`);
  }
  return failed === 0 ? 0 : 1;
}

/** Case folders at or below `root`, in path order; a case folder's own subfolders are not searched. */
function findCases(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ValidationError(ErrorCodes.InvalidInput, `--cases: ${root} is not a folder`);
  }
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (existsSync(join(dir, 'policy.json'))) {
      found.push(dir);
      return;
    }
    if (depth >= 8) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) visit(join(dir, entry.name), depth + 1);
    }
  };
  visit(root, 0);
  return found;
}

async function runCase(caseDir: string, runner: PluginRunner, loaded: Map<string, Promise<PolicyHandle>>): Promise<Decision> {
  const where = `${caseDir}/policy.json`;
  const { policy, options } = parseOrThrow(CasePolicySchema, await readCaseFile(join(caseDir, 'policy.json')), where, ErrorCodes.InvalidInput);
  const input = parseOrThrow(PolicyInputSchema, await readCaseFile(join(caseDir, 'input.json')), 'policy input', ErrorCodes.InvalidPolicyInput);
  // A path in policy.json is relative to the case, as paths in a config file are to that file.
  const source = new FilePluginCatalog(undefined, caseDir).resolve(policy, where);
  let handle = loaded.get(source.entry);
  if (handle === undefined) {
    handle = runner.loadPolicy(source);
    loaded.set(source.entry, handle);
  }
  return decideChecked(await handle, input, options as Json, where);
}

/** A case file's JSON; a case never reads standard input. */
async function readCaseFile(path: string): Promise<Json> {
  return parseJson(await readText(path, noInput), `${path} is not valid JSON`);
}

const noInput = { async *[Symbol.asyncIterator]() {} };
