export * from './config.js';
export * from './binding.js';
export * from './merge-tree.js';
export * from './reduce.js';
export * from './loader.js';
export * from './backoff.js';
export * from './json-check.js';
