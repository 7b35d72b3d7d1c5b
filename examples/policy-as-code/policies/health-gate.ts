import { definePolicy, type Json, type PolicyChild } from 'edgesum/plugin';

interface HealthSummary {
  counts?: Record<string, number>;
}

/** The share of a child's copies the `health` reducer assessed as degraded, or null without a summary. */
function degradedShare(child: PolicyChild): number | null {
  const summary = (child.summary as { summary?: Json } | null)?.summary as HealthSummary | null | undefined;
  const counts = summary?.counts;
  if (counts === undefined) return null;
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return total === 0 ? null : (counts.degraded ?? 0) / total;
}

/**
 * Policy as code that reads the summaries coming back up: children roll out `batch` at a time, and
 * nothing more starts once any started child's health summary (the rollout's `summary` binding, a
 * `health` reducer) shows more than `maxDegraded` of its copies degraded.
 */
export default definePolicy<{ batch?: number; maxDegraded?: number }>({
  name: 'health-gate',
  version: '1.0.0',
  description: 'Batches of children, halting when a started child reports too many degraded copies.',
  options: {
    type: 'object',
    properties: { batch: { type: 'integer', minimum: 1 }, maxDegraded: { type: 'number', minimum: 0, maximum: 1 } },
    additionalProperties: false,
  },
  decide(input, options) {
    const batch = options.batch ?? 1;
    const maxDegraded = options.maxDegraded ?? 0.05;
    const active = input.children.filter((child) => child.state !== 'skipped');
    const inFlight = active.filter((child) => child.state === 'progressing').map((child) => child.id);
    const base = { timedOut: [], budgetExceeded: false };
    const sick = active.filter((child) => child.state !== 'pending' && (degradedShare(child) ?? 0) > maxDegraded);
    if (sick.length > 0) {
      const worst = sick.map((child) => `${child.id} ${Math.round(degradedShare(child)! * 100)}%`).join(', ');
      return { ...base, action: 'pause', budgetExceeded: true, targets: inFlight, reason: `degraded copies above ${maxDegraded * 100}%: ${worst}` };
    }
    if (active.length > 0 && active.every((child) => child.state === 'succeeded')) {
      return { ...base, action: 'complete', targets: [], reason: 'every child succeeded with healthy copies' };
    }
    const room = batch - inFlight.length;
    const start = room > 0 ? active.filter((child) => child.state === 'pending').slice(0, room).map((child) => child.id) : [];
    return start.length === 0
      ? { ...base, action: 'hold', targets: inFlight, reason: `${inFlight.length} in flight, healthy so far` }
      : { ...base, action: 'advance', targets: [...inFlight, ...start], reason: `starting ${start.join(', ')}` };
  },
});
