/**
 * docs/options.md, generated from the schemas: `npm run docs` writes it and a unit test fails
 * when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaOf } from '../core/definition.js';
import { docsSection } from '../core/options.js';
import { PROJECT_KINDS, PROJECTS } from './projects.js';

export function optionsDoc(): string {
  const sections = PROJECT_KINDS.map((kind) => {
    const definition = PROJECTS[kind]!;
    return docsSection(kind, definition.summary, schemaOf(definition));
  });
  return [
    '# Options',
    '',
    '<!-- Generated from the option schemas by `npm run docs`; do not edit by hand. -->',
    '',
    'Every option is a flag (`--tracker=none`, `--no-docker`), a question when run in a terminal, and a',
    'stored answer in the generated `.yo-rc.json`. Precedence: flag > stored answer > `--yes` or',
    'no-terminal default > prompt. Every project also takes `--yes`, `--skip-install`, `--force`,',
    '`--dry-run` and `--help`.',
    '`--name` takes at most 50 characters; the generated project lints clean (`make lint`) at any length.',
    '',
    ...sections.flatMap((section) => [section, '']),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL('../../docs/options.md', import.meta.url));
  writeFileSync(target, optionsDoc());
  console.log(`wrote ${target}`);
}
