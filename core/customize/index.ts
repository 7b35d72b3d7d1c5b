export * from './pattern.js';
export * from './render.js';
