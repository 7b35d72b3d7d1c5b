import type { PluginCatalog } from '../core/catalog/index.js';
import { ErrorCodes, PluginOutputError } from '../core/errors.js';
import { parseOrThrow } from '../core/model/index.js';
import { compileOptions } from '../core/pipeline/index.js';
import { checkDecision, PolicyInputSchema } from '../core/rollout/index.js';
import type { PluginRunner, PolicyHandle } from '../core/ports/plugin-runner.js';
import type { Decision, Json, PolicyInput } from '../core/contract.js';
import { readJsonOption, type ByteSource, type Output } from './io.js';
import { escapeLine, jsonText } from './text.js';

/** Flags of `edgesum decide`. */
export interface DecideFlags {
  policy?: string;
  options?: string;
  input?: string;
  json?: boolean;
}

/**
 * `edgesum decide`: one policy decision for one input, checked as the controller checks it
 * (valid shape, targets among the children). For policy-as-code tests in CI.
 */
export async function decideCommand(flags: DecideFlags & { policy: string; input: string }, deps: { runner: PluginRunner; catalog: PluginCatalog; output: Output; stdin: ByteSource }): Promise<number> {
  const source = deps.catalog.resolve(flags.policy, 'decide --policy');
  const options = flags.options === undefined ? {} : await readJsonOption(flags.options, '--options', deps.stdin);
  const input = parseOrThrow(PolicyInputSchema, await readJsonOption(`@${flags.input}`, '--input', deps.stdin), 'policy input', ErrorCodes.InvalidPolicyInput);
  const handle = await deps.runner.loadPolicy(source);
  const decision = await decideChecked(handle, input, options, 'decide --options');
  if (flags.json) {
    deps.output.out(`${jsonText(decision)}\n`);
    return 0;
  }
  // Names, ids and the reason come from the plugin and its input: escaped, so they can neither
  // drive the terminal nor add lines of their own.
  const list = (ids: readonly string[]) => ids.map(escapeLine).join(', ');
  const lines = [
    `${escapeLine(handle.info.name)}@${escapeLine(handle.info.version)} at ${escapeLine(input.level)}: ${decision.action}${decision.budgetExceeded ? ' (failure budget exceeded)' : ''}`,
    `  targets:  ${decision.targets.length === 0 ? '(none)' : list(decision.targets)}`,
    ...(decision.timedOut.length > 0 ? [`  timed out: ${list(decision.timedOut)}`] : []),
    ...(decision.recheckAfterMs === undefined ? [] : [`  recheck after ${decision.recheckAfterMs} ms`]),
    `  reason:   ${escapeLine(decision.reason)}`,
  ];
  deps.output.out(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * One decision of a loaded policy, with its options validated first and the decision checked as
 * the controller checks it (valid shape, targets among the children).
 *
 * @throws ValidationError for invalid options, PluginOutputError for a decision the controller would refuse.
 */
export async function decideChecked(handle: PolicyHandle, input: PolicyInput, options: Json, where: string): Promise<Decision> {
  const validOptions = compileOptions(handle.info)(options, { where });
  const [raw] = await handle.decide([input], validOptions, { id: input.level, kind: 'center' });
  const checked = checkDecision(raw, new Map(input.children.map((child) => [child.id, child.state])));
  if ('problem' in checked) {
    throw new PluginOutputError(ErrorCodes.PluginOutput, `${handle.info.name}.decide at ${input.level}: ${checked.problem}`, { plugin: handle.info.name, hook: 'decide', level: input.level });
  }
  return checked.decision;
}
