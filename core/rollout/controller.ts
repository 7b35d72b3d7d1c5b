import { createHash } from 'node:crypto';
import type { ChildState, Decision, Grant, Json, LevelInfo, PolicyInput, StatusReport } from '../contract.js';
import { toIso, type Clock } from '../clock/index.js';
import { asEdgesumError, ErrorCodes, PluginOutputError, type EdgesumError, type ErrorCode } from '../errors.js';
import { parseDuration, readPath, type LevelKind } from '../model/index.js';
import { checkHookResults } from '../pipeline/index.js';
import type { PolicyHandle } from '../ports/plugin-runner.js';
import { addCounts, emptyCounts, type RolloutCommand, type RolloutReport, type StateCounts } from './messages.js';
import { checkDecision } from './decision.js';
import { resolveSize, type RolloutSpec } from './spec.js';

/** One child of a level as the rollout sees it: a child level or an own destination. */
export interface RolloutChild {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kind: 'level' | 'destination';
  /** A child level's kind, which names the grant spec it gets (`grants.region` or `grants.site`). */
  readonly levelKind?: LevelKind;
  /** Destinations in the rollout's scope at or below the child. Zero makes it `skipped`. */
  readonly inScope: number;
}

interface ChildRecord {
  readonly child: RolloutChild;
  readonly group: { name: string; index: number };
  state: ChildState;
  since: number | undefined;
  started: boolean;
  /** For a destination: the version and phase of its latest report. */
  summary: Json;
  /** For a child level: the destination counts it last reported. */
  counts: StateCounts | undefined;
}

/** One recorded decision: what the policy saw (and its digest), what it decided, what was done. */
export interface AuditEntry {
  rollout: string;
  level: string;
  at: string;
  inputDigest: string;
  input: PolicyInput;
  decision: Decision | null;
  /** Children started because of this decision. */
  started: string[];
  error: { code: ErrorCode; message: string } | null;
}

/** Finishes one child level's summary of a binding at this level. */
export type ChildSummary = (binding: string, child: string) => Promise<Json>;

/** What a controller does to the outside world. */
export interface RolloutEffects {
  /** Starts a child: a directive to a child level, or the version to an edge. */
  start(child: RolloutChild, grant: Grant): void;
  /** Sends the command in force to every started child level (pause, resume, abort, rollback). */
  command(child: RolloutChild, command: RolloutCommand, grant: Grant): void;
  /** Tells an edge to go back to `version`. */
  revert(child: RolloutChild, version: string): void;
  audit(entry: AuditEntry): void;
}

/** The pieces a controller is built from. */
export interface RolloutControllerDeps {
  readonly spec: RolloutSpec;
  readonly startedAt: string;
  readonly level: LevelInfo;
  readonly children: readonly RolloutChild[];
  readonly policy: PolicyHandle;
  readonly options: Json;
  readonly clock: Clock;
  readonly effects: RolloutEffects;
  /** Children below each child level, for resolving percentage grants. */
  readonly grandchildren: (child: string) => number;
}

/** A controller's state as its level stores it. */
interface SavedController {
  command: RolloutCommand;
  grant: Grant | null;
  memo: Json;
  dirty: boolean;
  recheckAt: number | null;
  own: { state: ChildState; since: number };
  children: Record<string, { state: ChildState; since: number | null; started: boolean; summary: Json; counts: StateCounts | null }>;
}

/** How long a level waits before asking a policy again after the policy failed. */
const retryAfterFailureMs = 30_000;

/**
 * Largest memo a decision may return, as JSON. The memo comes back in every later input and into
 * every audit entry, so an unbounded one grows the host with every decision.
 */
export const maxMemoBytes = 64 * 1024;

/**
 * Runs one rollout at one level: keeps each child's state for the rollout's version, calls the
 * level's policy when a child changes or a recheck falls due, checks the decision against the
 * children and the grant this level holds, starts the children it targets and records every
 * decision in the audit trail. A failed or invalid decision holds the rollout: nothing starts.
 */
export class RolloutController {
  private readonly records = new Map<string, ChildRecord>();
  private command: RolloutCommand = 'run';
  private grant: Grant | null = null;
  private memo: Json = null;
  private dirty = true;
  private recheckAt: number | undefined;
  private ownState: { state: ChildState; since: number };

  constructor(private readonly deps: RolloutControllerDeps) {
    const groups = assignGroups(deps.children, deps.spec);
    for (const child of [...deps.children].sort((a, b) => groups.get(a.id)!.index - groups.get(b.id)!.index || compare(a.id, b.id))) {
      const skipped = child.inScope === 0;
      this.records.set(child.id, {
        child,
        group: groups.get(child.id)!,
        state: skipped ? 'skipped' : 'pending',
        since: skipped ? deps.clock.now() : undefined,
        started: false,
        summary: null,
        counts: undefined,
      });
    }
    this.ownState = { state: 'pending', since: deps.clock.now() };
  }

  /** The rollout id. */
  get id(): string {
    return this.deps.spec.id;
  }

  /** The rollout this controller runs. */
  get spec(): RolloutSpec {
    return this.deps.spec;
  }

  /** The command in force at this level. */
  get currentCommand(): RolloutCommand {
    return this.command;
  }

  /** The grant this level holds from its parent, or null at the center. */
  get currentGrant(): Grant | null {
    return this.grant;
  }

  /** When the rollout started at the center, RFC 3339. */
  get startedAt(): string {
    return this.deps.startedAt;
  }

  /** Everything this controller learned and decided, as JSON: what a restarted level resumes from. */
  snapshot(): Json {
    const saved: SavedController = {
      command: this.command,
      grant: this.grant,
      memo: this.memo,
      dirty: this.dirty,
      recheckAt: this.recheckAt ?? null,
      own: this.ownState,
      children: Object.fromEntries(
        [...this.records].map(([id, record]) => [id, { state: record.state, since: record.since ?? null, started: record.started, summary: record.summary, counts: record.counts ?? null }]),
      ),
    };
    return saved as unknown as Json;
  }

  /** Resumes from a {@link snapshot}; children the topology no longer has are ignored. */
  restore(snapshot: Json): void {
    const saved = snapshot as unknown as SavedController;
    this.command = saved.command;
    this.grant = saved.grant;
    this.memo = saved.memo;
    this.dirty = saved.dirty;
    this.recheckAt = saved.recheckAt ?? undefined;
    this.ownState = saved.own;
    for (const [id, child] of Object.entries(saved.children)) {
      const record = this.records.get(id);
      if (record === undefined) continue;
      record.state = child.state;
      record.since = child.since ?? undefined;
      record.started = child.started;
      record.summary = child.summary;
      record.counts = child.counts ?? undefined;
    }
  }

  /**
   * Takes the command and grant from the parent (or the operator at the center). Pause, abort and
   * rollback are passed on to every started child level at once.
   */
  direct(command: RolloutCommand, grant: Grant | null): void {
    const changed = command !== this.command;
    if (this.command === 'abort' || this.command === 'rollback') {
      if (command === 'run' || command === 'pause') return;
    }
    this.command = command;
    this.grant = grant;
    this.dirty = true;
    if (this.ownState.state === 'pending') this.transition('progressing');
    if (!changed) return;
    for (const record of this.records.values()) {
      if (!record.started) continue;
      if (record.child.kind === 'level') this.deps.effects.command(record.child, command, this.grantFor(record.child));
      else if (command === 'rollback') this.deps.effects.revert(record.child, this.deps.spec.previousVersion);
    }
  }

  /** A child level's progress, from its partial. */
  observeLevel(child: string, report: RolloutReport): void {
    const record = this.records.get(child);
    if (record === undefined || record.state === 'skipped') return;
    const before = JSON.stringify([record.state, record.counts]);
    record.counts = report.counts;
    if (report.state !== 'pending' && report.state !== record.state) {
      record.state = report.state;
      record.since = Date.parse(report.since);
    }
    if (JSON.stringify([record.state, record.counts]) !== before) this.dirty = true;
  }

  /** An own destination's report of the rollout's workload. */
  observeReport(report: StatusReport): void {
    const record = this.records.get(report.destination);
    if (record === undefined || record.state === 'skipped') return;
    const version = readPath(report, this.deps.spec.status.versionPath);
    const phase = readPath(report, this.deps.spec.status.phasePath);
    const summary = { version: typeof version === 'string' ? version : null, phase: typeof phase === 'string' ? phase : null };
    if (JSON.stringify(summary) !== JSON.stringify(record.summary)) this.dirty = true;
    record.summary = summary;
    if (version !== this.deps.spec.version) return;
    const state: ChildState = phase === 'Failed' ? 'failed' : phase === 'Succeeded' ? 'succeeded' : 'progressing';
    if (state !== record.state) {
      record.state = state;
      record.since = this.deps.clock.now();
      record.started = true;
      this.dirty = true;
    }
  }

  /** Whether a child changed or a requested recheck fell due. */
  due(): boolean {
    return this.dirty || (this.recheckAt !== undefined && this.deps.clock.now() >= this.recheckAt);
  }

  /**
   * Asks the policy and acts on its decision, if running and due. `summaryOf` finishes a child
   * level's summary of the rollout's `summary` binding, when the spec names one.
   */
  async evaluate(summaryOf?: ChildSummary): Promise<void> {
    if (!this.due()) return;
    this.dirty = false;
    this.recheckAt = undefined;
    if (this.command !== 'run' || this.ownState.state === 'pending') return;
    const now = this.deps.clock.now();
    const { input, failure } = await this.collect(now, summaryOf);
    const entry: AuditEntry = { rollout: this.id, level: this.deps.level.id, at: toIso(now), inputDigest: digest(input), input, decision: null, started: [], error: null };
    try {
      // A policy must not decide without a summary it was promised: hold, and ask again later.
      if (failure !== undefined) throw failure;
      const where = { plugin: this.deps.policy.info.name, hook: 'decide', level: this.deps.level.id };
      const [raw] = checkHookResults(await this.deps.policy.decide([input], this.deps.options, this.deps.level), 1, where);
      const decision = this.check(raw, now);
      entry.decision = decision;
      this.apply(decision, now, entry.started);
    } catch (error) {
      const typed = asEdgesumError(error, ErrorCodes.PluginThrew, { plugin: this.deps.policy.info.name, hook: 'decide', level: this.deps.level.id });
      entry.error = { code: typed.code, message: typed.message };
      this.recheckAt = now + retryAfterFailureMs;
    }
    this.deps.effects.audit(entry);
  }

  /** This level's own state and destination counts. */
  own(): Pick<RolloutReport, 'state' | 'since' | 'counts'> {
    return { state: this.ownState.state, since: toIso(this.ownState.since), counts: this.counts() };
  }

  /** The states of this level's children, by state. */
  childCounts(): StateCounts {
    const counts = emptyCounts();
    for (const record of this.records.values()) counts[record.state]++;
    return counts;
  }

  /** Destinations at or below this level, by state. */
  counts(): StateCounts {
    const counts = emptyCounts();
    for (const record of this.records.values()) {
      if (record.child.kind === 'destination') counts[record.state]++;
      else if (record.counts !== undefined) addCounts(counts, record.counts);
      else counts.pending += record.child.inScope;
    }
    return counts;
  }

  /** The policy input this level would decide from now; rejects when a child's summary cannot be finished. */
  async input(now: number, summaryOf?: ChildSummary): Promise<PolicyInput> {
    const { input, failure } = await this.collect(now, summaryOf);
    if (failure !== undefined) throw failure;
    return input;
  }

  /**
   * The policy input, and the first failure to finish a child's summary: that child's summary is
   * then `null`, so the input can still be recorded beside the error.
   */
  private async collect(now: number, summaryOf?: ChildSummary): Promise<{ input: PolicyInput; failure?: EdgesumError }> {
    const binding = this.deps.spec.summary;
    const children = [];
    let failure: EdgesumError | undefined;
    const finish = async (name: string, child: string): Promise<Json> => {
      try {
        return await summaryOf!(name, child);
      } catch (error) {
        failure ??= asEdgesumError(error, ErrorCodes.PluginThrew, { level: this.deps.level.id, binding: name });
        return null;
      }
    };
    for (const record of this.records.values()) {
      const states = record.counts ?? null;
      const summary =
        record.child.kind === 'destination'
          ? record.summary
          : binding !== undefined && summaryOf !== undefined && record.state !== 'skipped'
            ? { states, summary: await finish(binding, record.child.id) }
            : states;
      children.push({
        id: record.child.id,
        labels: record.child.labels,
        group: record.group,
        state: record.state,
        ...(record.since === undefined || record.state === 'pending' ? {} : { since: toIso(record.since) }),
        summary,
      });
    }
    const input: PolicyInput = {
      rollout: { id: this.id, workload: this.deps.spec.workload, version: this.deps.spec.version, startedAt: this.deps.startedAt },
      level: this.deps.level.id,
      now: toIso(now),
      memo: this.memo,
      grant: this.grant,
      children,
    };
    return failure === undefined ? { input } : { input, failure };
  }

  private check(raw: unknown, now: number): Decision {
    const fail = (message: string) => new PluginOutputError(ErrorCodes.PluginOutput, `${this.deps.policy.info.name}.decide at ${this.deps.level.id}: ${message}; the rollout holds`, { plugin: this.deps.policy.info.name, hook: 'decide', level: this.deps.level.id });
    const checked = checkDecision(raw, new Map([...this.records].map(([id, record]) => [id, record.state])));
    if ('problem' in checked) throw fail(checked.problem);
    const { decision } = checked;
    const memoBytes = decision.memo === undefined ? 0 : JSON.stringify(decision.memo).length;
    if (memoBytes > maxMemoBytes) throw fail(`the memo is ${memoBytes} bytes of JSON, above the ${maxMemoBytes} byte limit`);
    const starts = decision.targets.filter((id) => {
      const record = this.records.get(id)!;
      return !record.started && record.state === 'pending';
    });
    if (starts.length > 0 && this.grant !== null) {
      const started = [...this.records.values()].filter((record) => record.started).length;
      if (this.grant.maxStarted !== null && started + starts.length > this.grant.maxStarted) {
        throw fail(`starting ${starts.length} more would make ${started + starts.length} started, beyond the grant of ${this.grant.maxStarted}`);
      }
      if (this.grant.until !== null && now > Date.parse(this.grant.until)) {
        throw fail(`the grant ended at ${this.grant.until}; nothing may start`);
      }
    }
    return decision;
  }

  private apply(decision: Decision, now: number, started: string[]): void {
    for (const id of decision.timedOut) {
      const record = this.records.get(id)!;
      if (record.state !== 'timed-out') {
        record.state = 'timed-out';
        record.since = now;
      }
    }
    if (decision.action === 'rollback') {
      this.direct('rollback', this.grant);
    } else {
      for (const id of decision.targets) {
        const record = this.records.get(id)!;
        if (record.started || record.state !== 'pending') continue;
        record.started = true;
        record.state = 'progressing';
        record.since = now;
        started.push(id);
        this.deps.effects.start(record.child, this.grantFor(record.child));
      }
    }
    this.memo = decision.memo ?? null;
    if (decision.recheckAfterMs !== undefined) this.recheckAt = now + decision.recheckAfterMs;
    const halted = decision.action === 'pause' && decision.budgetExceeded;
    this.transition(decision.action === 'complete' ? 'succeeded' : halted ? 'failed' : 'progressing');
  }

  private grantFor(child: RolloutChild): Grant {
    if (child.kind === 'destination' || this.command !== 'run') {
      return { maxStarted: this.command === 'run' ? null : 0, until: this.command === 'run' ? null : toIso(this.deps.clock.now()) };
    }
    const spec = this.deps.spec.grants[child.levelKind === 'region' ? 'region' : 'site'];
    return {
      maxStarted: spec?.maxStarted === undefined ? null : resolveSize(spec.maxStarted, this.deps.grandchildren(child.id)),
      until: spec?.for === undefined ? null : toIso(this.deps.clock.now() + parseDuration(spec.for)!),
    };
  }

  private transition(state: ChildState): void {
    if (state !== this.ownState.state) this.ownState = { state, since: this.deps.clock.now() };
  }
}

/** Groups children: the first matching named group wins; the rest form chunks of `childrenPerGroup`. */
export function assignGroups(children: readonly RolloutChild[], spec: RolloutSpec): Map<string, { name: string; index: number }> {
  const groups = new Map<string, { name: string; index: number }>();
  const rest: RolloutChild[] = [];
  for (const child of [...children].sort((a, b) => compare(a.id, b.id))) {
    const index = spec.groups.findIndex((group) => Object.entries(group.matchLabels).every(([key, value]) => child.labels[key] === value));
    if (index >= 0) groups.set(child.id, { name: spec.groups[index]!.name, index });
    else rest.push(child);
  }
  const size = spec.childrenPerGroup === undefined ? rest.length : Math.max(1, resolveSize(spec.childrenPerGroup, rest.length));
  rest.forEach((child, i) => {
    const chunk = size === 0 ? 0 : Math.floor(i / size);
    groups.set(child.id, { name: spec.childrenPerGroup === undefined ? 'default' : `group-${chunk + 1}`, index: spec.groups.length + chunk });
  });
  return groups;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function digest(input: PolicyInput): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16);
}
