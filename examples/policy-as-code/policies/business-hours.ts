import { definePolicy, type PolicyChild } from 'edgesum/plugin';

/**
 * Policy as code, in a repo of its own: roll out one child at a time, and start nobody outside
 * business hours (Monday to Friday, `startHour` to `endHour` UTC). In-flight children keep going.
 */
export default definePolicy<{ startHour?: number; endHour?: number }>({
  name: 'business-hours',
  version: '1.0.0',
  description: 'One child at a time, starting only on weekdays between startHour and endHour UTC.',
  options: {
    type: 'object',
    properties: { startHour: { type: 'integer', minimum: 0, maximum: 23 }, endHour: { type: 'integer', minimum: 1, maximum: 24 } },
    additionalProperties: false,
  },
  decide(input, options) {
    const startHour = options.startHour ?? 9;
    const endHour = options.endHour ?? 17;
    const active = input.children.filter((child) => child.state !== 'skipped');
    const inFlight = active.filter((child) => child.state === 'progressing');
    const base = { timedOut: [], budgetExceeded: false };
    if (active.length > 0 && active.every((child) => child.state === 'succeeded')) {
      return { ...base, action: 'complete', targets: [], reason: 'every child succeeded' };
    }
    if (active.some((child) => child.state === 'failed' || child.state === 'timed-out')) {
      return { ...base, action: 'pause', budgetExceeded: true, targets: ids(inFlight), reason: 'a child failed: nothing more starts' };
    }
    const now = new Date(input.now);
    const day = now.getUTCDay();
    const hour = now.getUTCHours();
    const open = day >= 1 && day <= 5 && hour >= startHour && hour < endHour;
    if (!open) {
      return { ...base, action: 'hold', targets: ids(inFlight), reason: `outside business hours (${startHour}:00–${endHour}:00 UTC, Mon–Fri)`, recheckAfterMs: msUntilOpen(now, startHour) };
    }
    if (inFlight.length > 0) return { ...base, action: 'hold', targets: ids(inFlight), reason: `${inFlight[0]!.id} is still rolling out` };
    const next = active.find((child) => child.state === 'pending');
    return next === undefined
      ? { ...base, action: 'hold', targets: [], reason: 'waiting for children to finish' }
      : { ...base, action: 'advance', targets: [next.id], reason: `starting ${next.id}` };
  },
});

function ids(children: readonly PolicyChild[]): string[] {
  return children.map((child) => child.id);
}

function msUntilOpen(now: Date, startHour: number): number {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), startHour));
  while (next.getTime() <= now.getTime() || next.getUTCDay() === 0 || next.getUTCDay() === 6) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now.getTime();
}
