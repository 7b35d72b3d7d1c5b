export * from '../model/topology.js';
export * from './level-node.js';
export * from './hierarchy.js';
