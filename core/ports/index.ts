/** The ports core defines and adapters implement: the plugin runner (the sandbox implements it). */
export * from './plugin-runner.js';
