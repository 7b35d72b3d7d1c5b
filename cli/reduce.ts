import { toIso, type Clock } from '../core/clock/index.js';
import type { PluginCatalog } from '../core/catalog/index.js';
import { ErrorCodes, PluginLawError, ValidationError } from '../core/errors.js';
import { parseReport } from '../core/model/index.js';
import { compileOptions, LatestReports, projectingHandle, reduceOnce } from '../core/pipeline/index.js';
import type { PluginRunner } from '../core/ports/plugin-runner.js';
import { diffJson } from '../core/testing/index.js';
import { formatRejection, openInput, readJsonLines, readJsonOption, type ByteSource, type Output } from './io.js';
import { escapeBlock, escapeLine, jsonText, quoted } from './text.js';

/** Flags of `edgesum reduce`. */
export interface ReduceFlags {
  reducer: string;
  options?: string;
  reports: string;
  partitions: string;
  json?: boolean;
  strict?: boolean;
  timeLimit?: string;
}

/** Most partitions `--partitions` takes: each is a separate fold, and more only cost memory. */
export const maxPartitions = 4096;
/** Longest `--time-limit`, in ms: the longest delay a Node.js timer keeps. */
export const maxTimeLimitMs = 2 ** 31 - 1;

/** A whole number from `min` to `max` given for `flag`, or a usage error naming the flag. */
export function wholeNumber(value: string, flag: string, min: number, max: number, unit = ''): number {
  const n = /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ValidationError(ErrorCodes.Usage, `${flag} must be a whole number${unit} from ${min} to ${max}, got ${quoted(value, 40)}`, {
      issues: [{ path: flag, message: `expected ${min} to ${max}` }],
    });
  }
  return n;
}

/**
 * `edgesum reduce`: folds a JSONL file of status reports with one reducer and prints the summary.
 * The file streams through in bounded memory (only the latest report per destination and object
 * is kept); invalid lines are reported on stderr by line number and field as they come, and the
 * valid ones still count. Returns the exit code.
 */
export async function reduceCommand(flags: ReduceFlags, deps: { runner: PluginRunner; catalog: PluginCatalog; clock: Clock; output: Output; stdin: ByteSource }): Promise<number> {
  const partitions = wholeNumber(flags.partitions, '--partitions', 1, maxPartitions);
  const timeMs = flags.timeLimit === undefined ? undefined : wholeNumber(flags.timeLimit, '--time-limit', 1, maxTimeLimitMs, ' of milliseconds');
  const source = deps.catalog.resolve(flags.reducer, 'reduce --reducer');
  const options = flags.options === undefined ? {} : await readJsonOption(flags.options, '--options', deps.stdin);
  const handle = await deps.runner.loadReducer(source, timeMs === undefined ? {} : { timeMs });
  const validOptions = compileOptions(handle.info)(options, { where: 'reduce --options' });

  const { output } = deps;
  const reports = new LatestReports();
  let rejected = 0;
  let items = 0;
  for await (const entry of readJsonLines(openInput(flags.reports, deps.stdin))) {
    if ('rejection' in entry) {
      rejected++;
      output.err(formatRejection(entry.rejection, `line ${entry.line}`));
      continue;
    }
    const index = items++;
    const outcome = parseReport(entry.item);
    if (outcome.ok) {
      reports.add(outcome.report);
    } else {
      rejected++;
      output.err(formatRejection({ index, code: outcome.code, issues: outcome.issues }, `line ${entry.line} (report ${index})`));
    }
  }
  const { latest, duplicates, outOfOrder } = reports;

  const now = toIso(deps.clock.now());
  // A runner with several threads gets one partition per thread at least, so none idles; by the
  // merge laws the summary is the same.
  const lanes = Math.max(partitions, Math.min(maxPartitions, deps.runner.parallelism ?? 1));
  const summary = await reduceOnce(projectingHandle(handle, validOptions), latest, { options: validOptions, partitions: lanes, now });
  if (partitions > 1) {
    // The partitioned answer is only worth printing if it is the answer: by the merge laws it
    // equals folding everything at once, which costs one more pass and proves it.
    const whole = await reduceOnce(handle, latest, { options: validOptions, partitions: 1, now });
    const [difference] = diffJson(whole, summary);
    if (difference !== undefined) {
      const show = (value: unknown) => (value === undefined ? '(missing)' : quoted(JSON.stringify(value), 80));
      throw new PluginLawError(
        ErrorCodes.PluginLaw,
        `${handle.info.name} breaks partition independence: the ${latest.length} reports folded in ${partitions} partitions and merged give a different summary than folded in one; at ${difference.path === '' ? 'the top' : difference.path}: ${show(difference.expected)} in one, ${show(difference.actual)} merged`,
        { plugin: handle.info.name, hook: 'merge' },
      );
    }
  }
  if (flags.json) {
    output.out(`${jsonText(summary)}\n`);
  } else {
    const { name, version, hash } = handle.info;
    output.out(`${escapeLine(name)}@${escapeLine(version)} (${escapeLine(hash)}) via ${escapeLine(deps.runner.name)}: ${latest.length} reports folded`);
    output.out(`${duplicates + outOfOrder > 0 ? `, ${duplicates} duplicate and ${outOfOrder} out-of-order skipped` : ''}${rejected > 0 ? `, ${rejected} rejected` : ''}\n`);
    output.out(`${escapeBlock(jsonText(summary, 2))}\n`);
  }
  return flags.strict && rejected > 0 ? 1 : 0;
}
