import { defineReducer, type Json } from '../../../core/contract.js';

/** Reads every clock and random source a plugin could reach. */
export default defineReducer<Record<string, Json>, number, Json>({
  name: 'nondeterminism',
  version: '1.0.0',
  init: () => Math.floor(Math.random() * 1000),
  add: (acc) => acc + Math.random(),
  merge: (a, b) => a + b,
  finish: (acc) => ({
    acc,
    random: [Math.random(), Math.random()],
    now: Date.now(),
    iso: new Date().toISOString(),
    called: Date().length > 0,
    key: new Date().getTime().toString(36) + Math.random().toString(36),
  }),
});
