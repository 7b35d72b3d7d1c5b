import type { Command, Option } from 'commander';
import { FilePluginCatalog } from '../../core/catalog/index.js';
import type { PluginRunner } from '../../core/ports/index.js';
import type { Output } from '../io.js';
import { buildCommand } from './build.js';
import { formatFindings } from './check.js';
import { kindNamed, pluginKinds, type KitDeps, type PluginKind } from './kinds.js';
import { listCommand } from './list.js';
import { newCommand } from './new.js';
import { readProject, type PluginProject } from './project.js';

/** What the `plugin` commands take from the command line they join. */
export interface PluginCommandDeps {
  readonly output: Output;
  readonly state: { exitCode: number };
  readonly runnerOption: () => Option;
  readonly withRunner: (name: string, command: (runner: PluginRunner) => Promise<number>) => Promise<number>;
}

/** Adds `edgesum plugin new|build|test|check|list`, the plugin author kit. */
export function addPluginCommands(program: Command, deps: PluginCommandDeps): void {
  const { output, state } = deps;
  const plugin = program.command('plugin').description('write a plugin: scaffold a repository, build it, run its fixtures, check its laws; list the built-ins');
  const kinds = Object.entries(pluginKinds)
    .map(([name, kind]) => `${name} (${kind.summary})`)
    .join('; ');
  plugin
    .command('new <name>')
    .description(`scaffold a TypeScript plugin repository that passes its own test and check; kinds: ${kinds}`)
    .requiredOption('--kind <kind>', `what the plugin is: ${Object.keys(pluginKinds).join(' or ')}`)
    .option('--dir <dir>', 'where to write it (default: ./<name>)')
    .option('--json', 'print what was written as JSON')
    .action((name: string, flags: { kind: string; dir?: string; json?: boolean }) => {
      state.exitCode = newCommand(name, flags, { output, json: flags.json === true });
    });
  plugin
    .command('list')
    .description('list the built-in plugins of every kind: name, kind, what each does and its options')
    .option('--json', 'print them as JSON')
    .action(async (flags: { json?: boolean }) => {
      state.exitCode = await listCommand(new FilePluginCatalog(), { output, json: flags.json === true });
    });
  plugin
    .command('build [dir]')
    .description('type-check the plugin repository (with its own TypeScript) and bundle the plugin for the sandbox into dist/, with a source map')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, flags: { json?: boolean }) => {
      state.exitCode = await buildCommand(readProject(dir ?? '.'), { output, json: flags.json === true });
    });
  /** A command that runs on a repository's plugin in a runner, as its kind says. */
  const onProject = (command: string, description: string, run: (kind: PluginKind, project: PluginProject, kit: KitDeps) => Promise<number>) =>
    plugin
      .command(`${command} [dir]`)
      .description(description)
      .option('--json', 'print the results as JSON')
      .addOption(deps.runnerOption())
      .action(async (dir: string | undefined, flags: { json?: boolean; runner: string }) => {
        const project = readProject(dir ?? '.');
        const kind = kindNamed(project.kind, 'package.json edgesum.kind');
        state.exitCode = await deps.withRunner(flags.runner, (runner) => run(kind, project, { runner, output, json: flags.json === true }));
      });
  onProject('test', "run the repository's fixtures in the sandbox and print where a result differs from the expected one", (kind, project, kit) => kind.test(project, kit));
  onProject(
    'check',
    'check every law of the plugin contract on the fixtures (clock and randomness included), and the sandbox limits on 10,000 reports; each violation with a shrunk counterexample, its hook and source line',
    async (kind, project, kit) => {
      const findings = await kind.check(project, kit);
      if (kit.json) output.out(`${JSON.stringify({ ok: findings.length === 0, findings })}\n`);
      else output.out(findings.length === 0 ? `ok   ${project.source.spec} keeps every ${project.kind} law\n` : `${formatFindings(findings)}\n${findings.length} law${findings.length === 1 ? '' : 's'} broken\n`);
      return findings.length === 0 ? 0 : 1;
    },
  );
}
