#!/usr/bin/env node
/**
 * `mlportfolio <project> [flags]`: the same generators as `yo mlportfolio:<project>`, on
 * yeoman-environment directly, for npx, scripts and CI (it works as root, where yo refuses).
 */
import { parseArgv } from './argv.js';
import { coerce, helpText, UsageError } from './options.js';
import { readStoredAnswers, schemaOf } from './project-generator.js';
import { generatorPath, PROJECT_KINDS, PROJECTS, unknownProject } from './projects.js';

const USAGE = [
  'Usage: mlportfolio <project> [options]',
  '       mlportfolio <project> --help     every option of one project',
  '',
  'Projects:',
  ...PROJECT_KINDS.map((kind) => `  ${kind.padEnd(12)}${PROJECTS[kind]!.definition.summary}`),
].join('\n');

async function main(argv: string[]): Promise<void> {
  // The project is the first argument; without one, the picker asks (in a terminal).
  const kind = argv[0]?.startsWith('-') ? undefined : argv[0];
  const rest = kind === undefined ? argv : argv.slice(1);
  if (kind === undefined && (rest.includes('--help') || rest.includes('-h'))) return console.log(USAGE);
  if (kind === undefined && !process.stdin.isTTY) throw new UsageError(`no project given; choose one of: ${PROJECT_KINDS.join(', ')}`);
  if (kind !== undefined && !PROJECTS[kind]) throw new UsageError(unknownProject(kind));

  const schema = kind === undefined ? [] : schemaOf(PROJECTS[kind]!.definition);
  const parsed = parseArgv(rest, schema);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"; flags look like --name=value`);
  if (parsed.help && kind !== undefined) {
    return console.log(helpText(kind, PROJECTS[kind]!.definition.summary, schema));
  }
  // Check every flag before yeoman starts, so a bad value is one line and nothing is touched.
  for (const spec of schema) {
    if (parsed.values[spec.name] !== undefined) coerce(spec, parsed.values[spec.name], `--${spec.name}`);
  }
  // A broken .yo-rc.json here would otherwise surface as a stack trace from yeoman.
  readStoredAnswers(process.cwd());

  const { createEnv } = await import('yeoman-environment');
  const env = createEnv({ cwd: process.cwd(), skipInstall: parsed.skipInstall, force: parsed.force } as never);
  // main() prints a failure once; yeoman's own "An error occured while running ..." would make it two lines.
  const log = (env as unknown as { adapter: { log: { error: (...args: unknown[]) => void } } }).adapter.log;
  const logError = log.error.bind(log);
  log.error = (...args) => {
    if (!String(args[0]).startsWith('An error occured while running')) logError(...args);
  };
  const namespace = `mlportfolio:${kind ?? 'app'}`;
  env.register(generatorPath(kind ?? 'app'), { namespace } as never);
  for (const other of PROJECT_KINDS) env.register(generatorPath(other), { namespace: `mlportfolio:${other}` } as never);
  await env.run([namespace], { ...parsed.values, yes: parsed.yes, skipInstall: parsed.skipInstall, force: parsed.force } as never);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const name = (error as Error | undefined)?.name;
  if (name === 'ExitPromptError') {
    // Ctrl-C at a question: nothing was written yet.
    console.error('mlportfolio: cancelled; nothing was written');
    process.exitCode = 130;
    return;
  }
  const isUsage = error instanceof UsageError || name === 'UsageError';
  console.error(`mlportfolio: error: ${isUsage ? (error as Error).message : ((error as Error).stack ?? String(error))}`);
  process.exitCode = 1;
});
