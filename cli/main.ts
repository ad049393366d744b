#!/usr/bin/env node
/**
 * `mlportfolio`: generate, regenerate, update and check projects. Without a terminal (or with
 * --yes) it never loads Yeoman: it settles the answers, renders, plans and writes directly, which
 * is what CI runs. In a terminal, questions are asked through the same Yeoman generators `yo`
 * runs (cli/interactive.ts).
 */
import { basename, resolve } from 'node:path';
import { isInteractive, withDefaults } from '../core/answers.js';
import { parseArgv, type ParsedArgv } from '../core/argv.js';
import { type ProjectDefinition, schemaOf } from '../core/definition.js';
import { runSetup } from '../core/install.js';
import { conflictError, plan, start, targetFolder, write } from '../core/lifecycle.js';
import { coerce, helpText, UsageError } from '../core/options.js';
import { CONFIG_FILE, GENERATOR_VERSION, readProjectState } from '../core/project-state.js';
import { nextStepsText } from '../core/steps.js';
import { changes, describe } from '../core/writer.js';
import { PROJECT_KINDS, PROJECTS, projectOf, unknownProject } from './projects.js';

const USAGE = [
  'Usage: mlportfolio <project> [options]   generate ./<name>, or regenerate the project in this folder',
  '       mlportfolio update [--dry-run]   take this package\'s newer templates, merging your edits',
  '       mlportfolio check                exit 1 when the project is behind this package or its answers',
  '       mlportfolio <project> --help     every option of one project',
  '       mlportfolio --version',
  '',
  'Projects:',
  ...PROJECT_KINDS.map((kind) => `  ${kind.padEnd(12)}${PROJECTS[kind]!.summary}`),
].join('\n');

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return void console.log(USAGE);
  if (first === '--version' || first === '-v') return void console.log(GENERATOR_VERSION);
  if (first === 'update' || first === 'check') return lifecycleCommand(first, rest);

  const kind = first === undefined || first.startsWith('-') ? undefined : first;
  const flags = kind === undefined ? argv : rest;
  if (kind === undefined) {
    if (!isInteractive({ yes: flags.includes('--yes') })) throw new UsageError(`no project given; choose one of: ${PROJECT_KINDS.join(', ')}`);
    const { runInteractive } = await import('./interactive.js');
    return runInteractive(undefined, runOptions(parseArgv(flags, [])));
  }
  const definition = projectOf(kind);
  if (!definition) throw new UsageError(unknownProject(kind));
  const schema = schemaOf(definition);
  const parsed = parseArgv(flags, schema);
  if (parsed.help) return void console.log(helpText(kind, definition.summary, schema));
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"; give one folder at most, and flags as --name=value`);
  // Every flag is checked before anything is read or asked, so a bad value is one line.
  for (const spec of schema) {
    if (parsed.values[spec.name] !== undefined) coerce(spec, parsed.values[spec.name], `--${spec.name}`);
  }
  if (isInteractive({ yes: parsed.yes })) {
    const { runInteractive } = await import('./interactive.js');
    return runInteractive(kind, runOptions(parsed));
  }
  await generate(definition, parsed.values, parsed);
}

/** What the Yeoman generators read from their options. */
function runOptions(parsed: ParsedArgv): Record<string, unknown> {
  return { ...parsed.values, yes: parsed.yes, skipInstall: parsed.skipInstall, force: parsed.force, dryRun: parsed.dryRun, folder: parsed.positionals[0] };
}

/** The fast path: no Yeoman. */
async function generate(definition: ProjectDefinition, flags: Record<string, unknown>, run: ParsedArgv, verb = 'wrote'): Promise<void> {
  const cwd = process.cwd();
  const started = start(definition, cwd, flags);
  const given = run.positionals[0];
  // `mlportfolio cv demos/my-detector`: the folder's name is the project's unless --name says otherwise.
  const settled = { ...started.answers };
  if (given !== undefined && settled.name === undefined) {
    const folderName = basename(resolve(given));
    settled.name = coerce(started.schema.find((spec) => spec.name === 'name')!, folderName, `folder name "${folderName}" (or give --name)`);
  }
  const answers = withDefaults(started.schema, settled);
  const folder = targetFolder(started, cwd, String(answers.name), run.force, given);
  const planned = plan(started, folder, answers, run.force);
  if (run.dryRun) {
    for (const line of describe(planned.plan.decisions, { all: true })) console.log(line);
    return;
  }
  const outcome = write(planned, { newProject: !started.regenerating });
  for (const line of outcome.lines) say(line);
  if (outcome.conflicts.length > 0) throw conflictError(outcome.conflicts);
  say(outcome.written === 0 ? `${String(answers.name)} is up to date.` : `${verb} ${outcome.written} file(s) in ${folder}`);
  if (!run.skipInstall && outcome.written > 0) await runSetup(folder, cwd);
  if (!started.regenerating) say(nextStepsText(String(answers.name), folder, cwd, run.skipInstall));
}

/** `mlportfolio update` and `mlportfolio check`, inside a generated project. */
async function lifecycleCommand(command: 'update' | 'check', argv: string[]): Promise<void> {
  const parsed = parseArgv(argv, []);
  if (parsed.help) return void console.log(USAGE);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"; run mlportfolio ${command} inside the project's folder`);
  const state = readProjectState(process.cwd());
  if (!state?.kind) throw new UsageError(`no ${CONFIG_FILE} of mlportfolio here; run mlportfolio ${command} inside a generated project`);
  const definition = projectOf(state.kind);
  if (!definition) throw new UsageError(`${CONFIG_FILE} names project "${state.kind}", which this version does not know; ${unknownProject(state.kind)}`);
  if (command === 'update') {
    const from = state.version ?? 'a version before 0.2.0';
    say(from === GENERATOR_VERSION ? `Updating to the templates of generator-mlportfolio ${GENERATOR_VERSION}` : `Updating from generator-mlportfolio ${from} to ${GENERATOR_VERSION}`);
    return generate(definition, {}, { ...parsed, skipInstall: true }, 'updated');
  }
  const started = start(definition, process.cwd(), {});
  const planned = plan(started, process.cwd(), withDefaults(started.schema, started.answers), false).plan;
  const reasons = changes(planned).map((d) => `${d.path}: mlportfolio update would ${d.action} it (${d.reason})`);
  if (state.version !== GENERATOR_VERSION) reasons.unshift(`${CONFIG_FILE}: written by generator-mlportfolio ${state.version ?? 'before 0.2.0'}; ${GENERATOR_VERSION} is installed`);
  else if (planned.configChanged) reasons.push(`${CONFIG_FILE}: its manifest or answers are out of date`);
  if (reasons.length > 0) {
    for (const reason of reasons) say(reason);
    process.exitCode = 1;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const name = (error as Error | undefined)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError') {
    // Ctrl-C at a question: nothing was written yet.
    say('mlportfolio: cancelled; nothing was written');
    process.exitCode = 130;
    return;
  }
  const isUsage = error instanceof UsageError || name === 'UsageError' || name === 'ConflictError';
  say(`mlportfolio: error: ${isUsage ? (error as Error).message : ((error as Error).stack ?? String(error))}`);
  process.exitCode = 1;
});
