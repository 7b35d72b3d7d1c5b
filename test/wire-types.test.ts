/**
 * One source of truth per wire type: the plugin contract declares the types plugin authors see
 * (types only, so a plugin bundles to a few hundred bytes) and the zod schemas validate the same
 * values at every boundary. These assertions are checked by `tsc` (`npm test` type-checks the
 * tests): a field added, removed or retyped on one side only fails the type check.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ChildState, Decision, Grant, ObjectRef, PolicyChild, PolicyInput, ReportMetadata, StatusReport } from '../core/contract.js';
import { ObjectRefSchema, ReportMetadataSchema, StatusReportSchema } from '../core/model/index.js';
import { ChildStateSchema, DecisionSchema, PolicyInputSchema } from '../core/rollout/index.js';

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
/** True only when A and B are the same type, readonly-ness aside. */
type Same<A, B> = (<T>() => T extends DeepReadonly<A> ? 1 : 2) extends <T>() => T extends DeepReadonly<B> ? 1 : 2 ? true : false;
const same = <A, B>(equal: Same<A, B>) => equal;

type Output<S extends z.ZodType> = z.output<S>;
type ParsedInput = Output<typeof PolicyInputSchema>;

describe('the wire types', () => {
  it('declare in the plugin contract exactly what the schemas accept', () => {
    const checks = [
      same<Output<typeof ObjectRefSchema>, ObjectRef>(true),
      same<Output<typeof ReportMetadataSchema>, ReportMetadata>(true),
      same<Output<typeof StatusReportSchema>, StatusReport>(true),
      same<Output<typeof ChildStateSchema>, ChildState>(true),
      same<Output<typeof DecisionSchema>, Decision>(true),
      same<NonNullable<ParsedInput['grant']>, Grant>(true),
      same<ParsedInput['children'][number], PolicyChild>(true),
      same<ParsedInput, PolicyInput>(true),
    ];
    expect(checks.every(Boolean)).toBe(true);
  });
});
