/**
 * The built-in `aggregate` reducer: a declarative filter, group-by and COUNT / SUM / AVG / MIN / MAX
 * over report fields, in the spirit of KubeStellar's StatusCollector, that merges exactly across
 * levels. See README.md for the option language, the summary and every edge case.
 *
 * @module plugins/aggregate
 */
import { defineReducer } from '../../core/contract.js';
import { addReport, removeReport, finishAcc, initAcc, mergeAcc, type AggregateAcc, type AggregateSummary } from './accumulator.js';
import { optionsSchema, planOf as compilePlan, type AggregateOptions, type AggregatePlan } from './options.js';

export type { AggregateAcc, AggregateRow, AggregateSummary, AvgAcc, FieldAcc, GroupAcc, RowGroup, SkipCounts } from './accumulator.js';
export type { AggregateOptions, FieldOp, FieldSpec, FilterCondition, FilterOp, GroupByColumn } from './options.js';
export { optionsSchema } from './options.js';

// A batch hands every hook call the same options object, so each batch compiles its plan once
// (this halves the cost of `add` in QuickJS). Keyed weakly by that object, the cache cannot leak,
// and as hooks treat `ctx.options` as read-only, a plan is a pure function of its key.
const plans = new WeakMap<object, AggregatePlan>();

function planOf(options: AggregateOptions): AggregatePlan {
  if (typeof options !== 'object' || options === null) return compilePlan(options);
  let plan = plans.get(options);
  if (plan === undefined) {
    plan = compilePlan(options);
    plans.set(options, plan);
  }
  return plan;
}

/**
 * Options whose every field retracts exactly: COUNT, SUM and AVG. MIN and MAX cannot be undone
 * without every value, so with either the host re-folds a replaced report's partition instead.
 */
const retractsWhen = {
  type: 'object',
  properties: {
    fields: { type: 'object', additionalProperties: { type: 'object', properties: { op: { type: 'string', enum: ['COUNT', 'SUM', 'AVG'] } } } },
  },
};

/** The `aggregate` reducer. */
const aggregate = defineReducer<AggregateOptions, AggregateAcc, AggregateSummary>({
  name: 'aggregate',
  version: '1.0.0',
  description: 'Filters reports, groups them by fields and computes COUNT, SUM, AVG, MIN and MAX per group, exactly across levels.',
  options: optionsSchema,
  // Every path the options name, and nothing else: COUNT without a path counts reports.
  reads: [{ option: 'filter.*.path' }, { option: 'groupBy.*.path' }, { option: 'fields.*.path' }],
  retractsWhen,
  init: (ctx) => initAcc(planOf(ctx.options)),
  add: (acc, report, ctx) => addReport(acc, report, planOf(ctx.options)),
  remove: (acc, report, ctx) => removeReport(acc, report, planOf(ctx.options)),
  merge: (a, b, ctx) => mergeAcc(a, b, planOf(ctx.options)),
  finish: (acc, ctx) => finishAcc(acc, planOf(ctx.options)),
});

export default aggregate;
