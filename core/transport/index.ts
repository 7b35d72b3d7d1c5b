export * from './messages.js';
export * from './port.js';
export * from './in-process.js';
