import { toIso, type Clock } from '../core/clock/index.js';
import type { PluginCatalog } from '../core/catalog/index.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { parseReports } from '../core/model/index.js';
import { latestReports, reduceOnce, validateOptions } from '../core/pipeline/index.js';
import type { PluginRunner } from '../core/ports/plugin-runner.js';
import { formatRejection, parseJsonLines, readInput, readJsonOption, type Output } from './io.js';

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

/**
 * `edgesum reduce`: folds a JSONL file of status reports with one reducer and prints the summary.
 * Invalid lines are reported on stderr by line number and field, and the valid ones still count.
 * Returns the exit code.
 */
export async function reduceCommand(flags: ReduceFlags, deps: { runner: PluginRunner; catalog: PluginCatalog; clock: Clock; output: Output }): Promise<number> {
  const partitions = Number(flags.partitions);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new ValidationError(ErrorCodes.InvalidInput, `--partitions must be a whole number of at least 1, got "${flags.partitions}"`);
  }
  const timeMs = flags.timeLimit === undefined ? undefined : Number(flags.timeLimit);
  if (timeMs !== undefined && (!Number.isInteger(timeMs) || timeMs < 1)) {
    throw new ValidationError(ErrorCodes.InvalidInput, `--time-limit must be a whole number of milliseconds, got "${flags.timeLimit}"`);
  }
  const source = deps.catalog.resolve(flags.reducer, 'reduce --reducer');
  const options = flags.options === undefined ? {} : await readJsonOption(flags.options, '--options');
  const handle = await deps.runner.loadReducer(source, timeMs === undefined ? {} : { timeMs });
  const validOptions = validateOptions(handle.info, options, 'reduce');

  const lines = parseJsonLines(await readInput(flags.reports));
  const parsed = parseReports(lines.items);
  const { output } = deps;
  for (const rejection of lines.rejected) output.err(formatRejection(rejection, `line ${rejection.index + 1}`));
  for (const rejection of parsed.rejected) output.err(formatRejection(rejection, `line ${lines.lines[rejection.index]} (report ${rejection.index})`));
  const { latest, duplicates, outOfOrder } = latestReports(parsed.accepted);

  const summary = await reduceOnce(handle, latest, { options: validOptions, partitions, now: toIso(deps.clock.now()) });
  if (flags.json) {
    output.out(`${JSON.stringify(summary)}\n`);
  } else {
    const rejected = lines.rejected.length + parsed.rejected.length;
    output.out(`${handle.info.name}@${handle.info.version} (${handle.info.hash}) via ${deps.runner.name}: ${latest.length} reports folded`);
    output.out(`${duplicates + outOfOrder > 0 ? `, ${duplicates} duplicate and ${outOfOrder} out-of-order skipped` : ''}${rejected > 0 ? `, ${rejected} rejected` : ''}\n`);
    output.out(`${JSON.stringify(summary, null, 2)}\n`);
  }
  return flags.strict && lines.rejected.length + parsed.rejected.length > 0 ? 1 : 0;
}
