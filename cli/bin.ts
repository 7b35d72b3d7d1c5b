#!/usr/bin/env node
/** The `edgesum` executable: the command line, with the process's own arguments and streams. */
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
