/**
 * The bin's interactive path: in a terminal, questions are asked through yeoman-environment and
 * the same generator classes `yo` runs. Loaded only then: importing Yeoman costs most of a second.
 */
import { createEnv } from 'yeoman-environment';
import { generatorPath, PROJECT_KINDS } from './projects.js';

export async function runInteractive(kind: string | undefined, options: Record<string, unknown>): Promise<void> {
  const env = createEnv({ cwd: process.cwd(), skipInstall: Boolean(options.skipInstall) } as never);
  // main() prints a failure once; yeoman's own "An error occured while running ..." would make it two lines.
  const log = (env as unknown as { adapter: { log: { error: (...args: unknown[]) => void } } }).adapter.log;
  const logError = log.error.bind(log);
  log.error = (...args) => {
    if (!String(args[0]).startsWith('An error occured while running')) logError(...args);
  };
  const namespace = `mlportfolio:${kind ?? 'app'}`;
  env.register(generatorPath(kind ?? 'app'), { namespace } as never);
  for (const other of PROJECT_KINDS) env.register(generatorPath(other), { namespace: `mlportfolio:${other}` } as never);
  await env.run([namespace], options as never);
}
