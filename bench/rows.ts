/**
 * What the benchmark prints: measurements become rows with a ratio to each baseline they name, the
 * issue's targets become verdict rows, and both render as a table for people or as JSON for tools.
 */

/** How a skipped row's unit starts; the reason follows. */
const skippedPrefix = 'skipped: ';

/** Every throughput row shows its ratio to both baselines. */
export const throughputBaselines = ['inline', 'native-json'] as const;

/** Sandboxed QuickJS rows also show their ratio to isolated-vm, the peer the target names. */
export const sandboxCompare = [...throughputBaselines, 'isolated-vm-batched'] as const;

/** One printed row. `--json` prints exactly an array of these. */
export interface BenchRow {
  readonly suite: string;
  readonly name: string;
  /** `null` when the row was skipped; `unit` then says why. */
  readonly value: number | null;
  readonly unit: string;
  /** The measurement `ratio` compares with, or `null`. */
  readonly baseline: string | null;
  /** `value / baseline value` (for target rows: how far the target is met, ≥ 1 means met). */
  readonly ratio: number | null;
}

/** One number a variant produced, before ratios are worked out. */
export interface Measurement {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Names of the measurements to show a ratio against; each yields one row. */
  readonly compare?: readonly string[];
}

/** A variant that could not run, and why (a peer not installed, a build that failed). */
export interface Skipped {
  readonly suite: string;
  readonly name: string;
  readonly reason: string;
}

export type Outcome = Measurement | Skipped;

export function isSkipped(outcome: Outcome): outcome is Skipped {
  return 'reason' in outcome;
}

/** Turns outcomes into rows: one per (measurement, baseline present in the run), skipped rows last in their place. */
export function toRows(outcomes: readonly Outcome[]): BenchRow[] {
  const byName = new Map<string, Measurement>();
  for (const outcome of outcomes) if (!isSkipped(outcome)) byName.set(outcome.name, outcome);
  const rows: BenchRow[] = [];
  for (const outcome of outcomes) {
    if (isSkipped(outcome)) {
      rows.push({ suite: outcome.suite, name: outcome.name, value: null, unit: `${skippedPrefix}${oneLine(outcome.reason)}`, baseline: null, ratio: null });
      continue;
    }
    const baselines = (outcome.compare ?? []).map((name) => byName.get(name)).filter((base) => base !== undefined && base.name !== outcome.name && base.value > 0);
    if (baselines.length === 0) {
      rows.push({ suite: outcome.suite, name: outcome.name, value: outcome.value, unit: outcome.unit, baseline: null, ratio: null });
      continue;
    }
    for (const base of baselines) {
      rows.push({ suite: outcome.suite, name: outcome.name, value: outcome.value, unit: outcome.unit, baseline: base!.name, ratio: outcome.value / base!.value });
    }
  }
  return rows;
}

/** A reason fit for one table cell: error messages (a require stack, a child's stderr) span lines. */
function oneLine(reason: string): string {
  const flat = reason.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/** One of the targets: printed as a verdict, never a reason to fail the run. */
export interface Target {
  /** How the target reads, e.g. `quickjs ≥ 1.0× isolated-vm batched`. */
  readonly name: string;
  /** The measured row the target is judged on (best of several names when more than one is given). */
  readonly subject: readonly string[];
  /** The measurement compared with, for ratio targets; absent for absolute targets. */
  readonly against?: string;
  /** The ratio to reach (ratio targets), the most allowed (`value-at-most`) or the least (`value-at-least`), in `unit`. */
  readonly bound: number;
  readonly kind: 'ratio-at-least' | 'value-at-most' | 'value-at-least';
  readonly unit: string;
}

/** The target rows and a one-line verdict. Ratio on a target row is how far it is met: ≥ 1 means met. */
export function judge(outcomes: readonly Outcome[], targets: readonly Target[]): { rows: BenchRow[]; verdict: string } {
  const measured = outcomes.filter((outcome): outcome is Measurement => !isSkipped(outcome));
  const find = (name: string) => measured.find((m) => m.name === name);
  const rows: BenchRow[] = [];
  const parts: string[] = [];
  for (const target of targets) {
    const candidates = target.subject.map(find).filter((m): m is Measurement => m !== undefined);
    // Higher throughput is better; lower latency is better: the best candidate depends on the kind.
    const subject = candidates.sort((a, b) => (target.kind === 'value-at-most' ? a.value - b.value : b.value - a.value))[0];
    const against = target.against === undefined ? undefined : find(target.against);
    if (subject === undefined || (target.against !== undefined && against === undefined)) {
      const missing = subject === undefined ? target.subject.join(' / ') : target.against;
      rows.push({ suite: 'target', name: target.name, value: null, unit: `${skippedPrefix}${missing} was not measured`, baseline: null, ratio: null });
      parts.push(`${target.name}: not judged (${missing} not measured)`);
      continue;
    }
    if (target.kind === 'ratio-at-least') {
      const achieved = subject.value / against!.value;
      const met = achieved >= target.bound;
      rows.push({ suite: 'target', name: target.name, value: achieved, unit: target.unit, baseline: against!.name, ratio: achieved / target.bound });
      parts.push(`${target.name}: ${subject.name} ${formatRatio(achieved)} — ${met ? 'MET' : 'NOT MET'}`);
    } else if (target.kind === 'value-at-least') {
      const met = subject.value >= target.bound;
      rows.push({ suite: 'target', name: target.name, value: subject.value, unit: target.unit, baseline: subject.name, ratio: subject.value / target.bound });
      parts.push(`${target.name}: ${subject.name} ${formatValue(subject.value, target.unit)} ${target.unit} — ${met ? 'MET' : 'NOT MET'}`);
    } else {
      const met = subject.value <= target.bound;
      rows.push({ suite: 'target', name: target.name, value: subject.value, unit: target.unit, baseline: subject.name, ratio: target.bound / subject.value });
      parts.push(`${target.name}: ${subject.name} ${formatValue(subject.value, target.unit)} ${target.unit} — ${met ? 'MET' : 'NOT MET'}`);
    }
  }
  return { rows, verdict: `verdict (targets are reported, never enforced): ${parts.join('; ')}` };
}

/**
 * A fixed-width text table: suite, variant, value, unit, baseline, ratio. A variant compared with
 * several baselines shows its value once; why a row was skipped is a numbered note under the table.
 */
export function renderTable(rows: readonly BenchRow[]): string {
  const header = ['suite', 'variant', 'value', 'unit', 'baseline', 'ratio'];
  const cells: string[][] = [];
  const notes: string[] = [];
  let previous: BenchRow | undefined;
  for (const row of rows) {
    const repeat = previous !== undefined && previous.suite === row.suite && previous.name === row.name && previous.value === row.value;
    let unit = row.unit;
    if (row.value === null && unit.startsWith(skippedPrefix)) {
      notes.push(`[${notes.length + 1}] ${row.name}: ${unit.slice(skippedPrefix.length)}`);
      unit = `skipped [${notes.length}]`;
    }
    cells.push([
      repeat ? '' : row.suite,
      repeat ? '' : row.name,
      repeat ? '' : row.value === null ? '—' : formatValue(row.value, row.unit),
      repeat ? '' : unit,
      row.baseline ?? '',
      row.ratio === null ? '' : formatRatio(row.ratio),
    ]);
    previous = row;
  }
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const numeric = new Set([2, 5]);
  const line = (values: readonly string[]) =>
    values
      .map((value, column) => (numeric.has(column) ? value.padStart(widths[column]!) : value.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const table = [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
  return notes.length === 0 ? table : `${table}\n\n${notes.join('\n')}`;
}

export function formatValue(value: number, unit: string): string {
  if (unit === 'ms') return value < 10 ? value.toFixed(3) : value.toFixed(1);
  if (unit === '×' || unit === 'x') return value.toFixed(3);
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.1 ? ratio.toFixed(2) : ratio.toFixed(3)}×`;
}
