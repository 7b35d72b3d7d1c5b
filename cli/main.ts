import { Command, CommanderError, Option } from 'commander';
import { systemClock } from '../core/clock/index.js';
import { FilePluginCatalog } from '../core/catalog/index.js';
import { runnerNamed, type RunnerName } from '../app/container.js';
import { EdgesumError, ErrorCodes, ValidationError } from '../core/errors.js';
import type { PluginRunner } from '../core/ports/index.js';
import { decideCases } from './cases.js';
import type { ServeFlags } from './serve.js';
import type { SimulateFlags } from './simulate.js';
import { customizeCommand, type CustomizeFlags } from './customize.js';
import { decideCommand, type DecideFlags } from './decide.js';
import { demoCommand, type DemoFlags } from './demo.js';
import { formatError, processOutput, type ByteSource, type Output } from './io.js';
import { addPluginCommands } from './plugin/index.js';
import { maxPartitions, reduceCommand, type ReduceFlags } from './reduce.js';
import { escapeBlock } from './text.js';

/** Exit codes: 0 done, 1 the work failed (a plugin error, rejected input with --strict), 2 bad usage or config. */
export const ExitCodes = { ok: 0, failed: 1, usage: 2 } as const;

const usageCodes = new Set<string>([
  ErrorCodes.InvalidOptions,
  ErrorCodes.InvalidConfig,
  ErrorCodes.InvalidInput,
  ErrorCodes.InvalidPolicyInput,
  ErrorCodes.InvalidRollout,
  ErrorCodes.UnknownPlugin,
  ErrorCodes.UnknownBinding,
  ErrorCodes.Usage,
  ErrorCodes.InvalidPattern,
]);

function runnerFor(name: string): PluginRunner {
  // Commander already refused any name but these choices.
  return runnerNamed(name as RunnerName);
}

function usage(message: string): ValidationError {
  return new ValidationError(ErrorCodes.Usage, message);
}

/** Runs a command with a fresh runner and always releases it, even when the command fails. */
async function withRunner(name: string, command: (runner: PluginRunner) => Promise<number>): Promise<number> {
  const runner = runnerFor(name);
  try {
    return await command(runner);
  } finally {
    await runner.dispose();
  }
}

/** The shape of a simulated fleet, as `demo` and `simulate` take it. */
function fleetOptions(command: Command, defaults: { regions: string; sites: string; destinations: string }): Command {
  return command
    .option('--regions <n>', 'regions under the center', defaults.regions)
    .option('--sites <n>', 'sites under each region', defaults.sites)
    .option('--destinations <n>', 'edge clusters across all sites', defaults.destinations)
    .option('--seed <n>', 'seed of the simulated fleet', '42');
}

/**
 * Builds the `edgesum` command line. Commands set `exitCode` through the returned holder and read
 * standard input from `stdin`.
 */
export function buildCli(output: Output, state: { exitCode: number }, stdin: ByteSource = process.stdin): Command {
  const program = new Command('edgesum')
    .description('Summarize status from many edge clusters through mergeable reducer plugins, and steer rollouts.')
    // Commander echoes arguments in its errors: escaped like every other diagnostic.
    .configureOutput({ writeOut: (text) => output.out(escapeBlock(text)), writeErr: (text) => output.err(escapeBlock(text)) })
    .option('--debug', 'print the stack trace of an error (it names absolute paths)')
    .exitOverride();
  const runnerOption = () => new Option('--runner <name>', 'where plugins run').choices(['quickjs', 'quickjs-pool', 'inline']).default('quickjs');

  fleetOptions(program.command('demo'), { regions: '4', sites: '8', destinations: '1200' })
    .description('run a simulated hierarchy (center → regions → sites → edges) and print the center summaries')
    .option('--json', 'print one JSON object')
    .addOption(runnerOption())
    .action(async (flags: DemoFlags & { runner: string }) => {
      state.exitCode = await demoCommand(flags, { output, root: { runner: runnerFor(flags.runner) } });
    });

  program
    .command('reduce')
    .description('fold a JSONL file of status reports with one reducer and print the summary')
    .requiredOption('--reducer <spec>', 'builtin:NAME or a path to a plugin module')
    .option('--options <json>', 'reducer options as JSON, or @file')
    .requiredOption('--reports <file>', 'JSONL file of status reports, or - for stdin')
    .option('--partitions <k>', `reduce K partitions (1 to ${maxPartitions}) and merge them; K > 1 also folds everything at once (one more pass) and exits 1 naming the law when the two differ`, '1')
    .option('--time-limit <ms>', 'wall-time limit of one plugin call')
    .option('--strict', 'exit 1 when any report is rejected')
    .option('--json', 'print exactly the summary as JSON')
    .addOption(runnerOption())
    .action(async (flags: ReduceFlags & { runner: string }) => {
      state.exitCode = await withRunner(flags.runner, (runner) => reduceCommand(flags, { runner, catalog: new FilePluginCatalog(), clock: systemClock, output, stdin }));
    });
  program
    .command('decide')
    .description('print one rollout-policy decision for a policy input, or check a folder of decision cases (policy as code)')
    .option('--policy <spec>', 'builtin:NAME or a path to a policy module')
    .option('--options <json>', 'policy options as JSON, or @file')
    .option('--input <file>', 'policy input JSON file, or - for stdin')
    .option('--cases <dir>', 'run every case below DIR (folders with policy.json, input.json, expected.json) and compare the decisions')
    .option('--json', 'print exactly the decision (with --cases: every case result) as JSON')
    .addOption(runnerOption())
    .action(async (flags: DecideFlags & { runner: string; cases?: string }) => {
      if (flags.cases !== undefined) {
        if (flags.policy !== undefined || flags.input !== undefined || flags.options !== undefined) throw usage('decide: --cases takes the policy, options and input from each case; drop --policy, --options and --input');
        const dir = flags.cases;
        state.exitCode = await withRunner(flags.runner, (runner) => decideCases(dir, { runner, output, json: flags.json === true }));
        return;
      }
      if (flags.policy === undefined || flags.input === undefined) throw usage('decide: give --policy and --input, or --cases DIR');
      const single = { ...flags, policy: flags.policy, input: flags.input };
      state.exitCode = await withRunner(flags.runner, (runner) => decideCommand(single, { runner, catalog: new FilePluginCatalog(), output, stdin }));
    });
  program
    .command('customize')
    .description('render an object through a customization pattern for one destination and print it')
    .requiredOption('--pattern <file>', 'the pattern, JSON: { name, customizers: [{ plugin, level, options }] }')
    .requiredOption('--object <file>', 'the object to render, JSON, or - for stdin')
    .requiredOption('--destination <id>', 'the destination to render for')
    .option('--labels <json>', "the destination's labels as a JSON object, or @file", '{}')
    .option('--chain <json>', 'the levels above it, center to site: [{ id, kind, labels }], or @file')
    .option('--explain', 'also name which rule of which customizer changed which path')
    .option('--json', 'print exactly the object as JSON (with --explain: { object, changes })')
    .addOption(runnerOption())
    .action(async (flags: CustomizeFlags & { runner: string }) => {
      state.exitCode = await withRunner(flags.runner, (runner) => customizeCommand(flags, { runner, catalog: new FilePluginCatalog(), output, stdin, now: new Date(systemClock.now()).toISOString() }));
    });
  program
    .command('serve')
    .description('serve one level node (center, region or site) over HTTP, with durable state, until SIGINT or SIGTERM')
    .requiredOption('--config <file>', 'the node config, YAML or JSON')
    .option('--port <n>', 'listen on this port (0 for any free one) instead of the config\'s')
    .option('--data <dir>', 'keep the SQLite store in this folder instead of the config\'s')
    .option('--parent-url <url>', "the parent's base URL instead of the config's")
    .option('--json', 'print the listening line as JSON')
    .action(async (flags: ServeFlags) => {
      const port = flags.port === undefined ? undefined : Number(flags.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535 && /^\d+$/.test(flags.port!))) throw usage('serve: --port takes a port number from 0 to 65535');
      // Loaded on use: the HTTP server and its dependencies would slow every other command's start.
      const { serveCommand } = await import('./serve.js');
      state.exitCode = await serveCommand(flags, { output, ...(port === undefined ? {} : { port }) });
    });
  fleetOptions(program.command('simulate'), { regions: '2', sites: '2', destinations: '200' })
    .description('run a simulated hierarchy under injected faults and print convergence time and traffic per level')
    .addOption(new Option('--transport <kind>', 'how the levels talk: in one process, or as edgesum serve processes on loopback over HTTP or over real nats-server processes').choices(['inproc', 'http', 'nats']).default('inproc'))
    .option('--rounds <n>', 'rounds of reports, one a second', '5')
    .option('--faults <spec>', 'comma-separated KIND:LEVEL@START+DURATION, KIND one of partition, restart, flap, slow, as in partition:region-1@1s+3s', '')
    .option('--json', 'print one JSON object')
    .addOption(runnerOption())
    .action(async (flags: SimulateFlags & { runner: string }) => {
      // Loaded on use, like serve: the NATS client is loaded only by a NATS run.
      const { simulateCommand } = await import('./simulate.js');
      state.exitCode = await withRunner(flags.runner, (runner) => simulateCommand(flags, { output, runner, runnerName: flags.runner as RunnerName }));
    });

  addPluginCommands(program, { output, state, runnerOption, withRunner });
  return program;
}

/**
 * Runs the command line and resolves to the exit code (0, 1 or 2); never throws. Errors are
 * printed without stack traces unless `--debug` is given; `stdin` is what `-` reads.
 */
export async function runCli(argv: readonly string[], output: Output = processOutput, stdin: ByteSource = process.stdin): Promise<number> {
  const state = { exitCode: ExitCodes.ok as number };
  const program = buildCli(output, state, stdin);
  // Read from argv rather than the parsed flags: the error may come before parsing finishes.
  const format = { json: argv.includes('--json'), debug: argv.includes('--debug') };
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage;
    output.err(formatError(error, format));
    return error instanceof EdgesumError && usageCodes.has(error.code) ? ExitCodes.usage : ExitCodes.failed;
  }
}
