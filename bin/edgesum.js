#!/usr/bin/env node
// The CLI is TypeScript; tsx's loader lets the installed bin run it without a build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
