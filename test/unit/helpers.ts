import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helpers from 'yeoman-test';
import { withDefaults } from '../../core/answers.js';
import { schemaOf } from '../../core/definition.js';
import type { Answers } from '../../core/options.js';
import { renderProject } from '../../core/render.js';
import { PROJECTS } from '../../cli/projects.js';

export const generatorFile = (kind: string) =>
  fileURLToPath(new URL(`../../dist/generators/${kind}/index.js`, import.meta.url));

/** Runs a project's Yeoman generator in a temporary folder with no terminal, nothing installed. */
export function runProject(kind: string, options: Record<string, unknown> = {}) {
  return helpers.run(generatorFile(kind)).withOptions({ skipInstall: true, yes: true, ...options } as never);
}

/** path -> text of every file under `<result.cwd>/<folder>`, as written to disk. */
export function writtenFiles(result: { cwd: string }, folder: string): Record<string, string> {
  const root = join(result.cwd, folder);
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true })) {
    const path = String(entry).replaceAll('\\', '/');
    if (statSync(join(root, path)).isFile()) files[path] = readFileSync(join(root, path), 'utf8');
  }
  return files;
}

/** The pure render of a project for its defaults plus `answers`: path -> text. */
export function rendered(kind: string, answers: Answers = {}): Record<string, string> {
  const definition = PROJECTS[kind]!;
  const files = renderProject(definition, withDefaults(schemaOf(definition), answers));
  return Object.fromEntries([...files].map(([path, file]) => [path, file.contents.toString('utf8')]));
}
