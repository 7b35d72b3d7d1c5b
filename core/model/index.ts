export * from './json.js';
export * from './schemas.js';
export * from './parse.js';
export * from './path.js';
export * from './duration.js';
export * from './topology.js';
