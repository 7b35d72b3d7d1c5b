export * from './spec.js';
export * from './messages.js';
export * from './controller.js';
export * from './decision.js';
export * from './edge-agent.js';
export * from './host.js';
export * from './rendering.js';
