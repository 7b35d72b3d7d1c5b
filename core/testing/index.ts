/**
 * Conformance checks for edgesum plugins, to be published as `edgesum/testing`.
 *
 * The same checks run against every built-in plugin (`test/conformance/`), so a plugin author gets
 * the suite the built-ins pass: {@link checkReducerLaws} for reducers and
 * {@link checkPolicyConformance} for rollout policies and {@link checkCustomizerLaws} for customizers. All call a plugin's hooks directly, return
 * a list of violations (empty when the plugin conforms) instead of throwing, and import no test
 * runner or property-testing library, so they fit vitest, Jest, `node:test` or a plain script;
 * generate the reports or inputs with whatever tool you like and assert the list is empty.
 *
 * @example
 * ```ts
 * import { checkReducerLaws } from 'edgesum/testing';
 * import myReducer from './index.js';
 *
 * test('keeps the reducer laws', () => {
 *   expect(checkReducerLaws(myReducer, { options: {}, reports })).toEqual([]);
 * });
 * ```
 *
 * @module edgesum/testing
 */
export { deepFreeze } from './freeze.js';
export { checkReducerLaws, type ReducerLaw, type ReducerLawSetup } from './reducer-laws.js';
export { checkPolicyConformance, type PolicyConformanceSetup, type PolicyLaw } from './policy-conformance.js';
export { checkCustomizerLaws, type CustomizerLaw, type CustomizerLawSetup } from './customizer-laws.js';
export type { Violation } from './violations.js';
export { diffJson, formatJsonDiff, type JsonDifference } from './json-diff.js';
export { clockOf, defaultSeed, environmentOf, pluginEnvironment, type PluginEnvironmentHandle } from './environment.js';
export { describeDifferences } from './violations.js';
