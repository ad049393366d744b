/**
 * Every project, in every variant that changes its Python files, lints clean with its own ruff
 * settings whatever length of name the user gives it: the longest name options.ts accepts and a
 * one-letter one. The name lands in imports, user agents and usage strings, so a template line
 * that is fine for "books-scraper" can pass 100 columns (ruff check) or be rewrapped (ruff format)
 * for a long name. Cheap: no venv, no pip; ruff is the version the generated projects pin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDir, mlportfolio, REPO, run, tool } from './support.js';

/** 50 characters, the longest name options.ts accepts, with hyphens (the package gets underscores). */
const LONGEST = 'a-long-portfolio-project-name-'.padEnd(50, 'x');
const SHORTEST = 'q';

/** Each project's default, then each option value that changes a Python file, one at a time. */
const VARIANTS: Record<string, string[][]> = {
  scraper: [[], ['--library=scrapy'], ['--database=mysql'], ['--backup', '--schedule']],
  nlp: [[], ['--model=torch'], ['--model=keras'], ['--text=spacy'], ['--maps']],
  cv: [[], ['--model=unet'], ['--model=pretrained']],
  speech: [[], ['--rnn=lstm'], ['--audio=pydub']],
  timeseries: [[], ['--source=csv'], ['--source=stock'], ['--source=weather'], ['--source=sqlite']],
};
const TRACKERS = ['--tracker=wandb', '--tracker=none'];

const cases = Object.entries(VARIANTS).flatMap(([kind, variants]) =>
  [...variants, ...TRACKERS.map((tracker) => [tracker])].flatMap((flags) =>
    [LONGEST, SHORTEST].map((name) => ({ kind, flags, name, label: `${kind} ${flags.join(' ') || '(defaults)'} --name=${name}` })),
  ),
);

describe('generated projects lint clean at any name length', () => {
  it('checks with the ruff the generated projects pin, and the longest name is accepted', async () => {
    const pinned = JSON.parse(readFileSync(join(REPO, 'templates/python-versions.json'), 'utf8')).versions.ruff;
    const { stdout } = await run(tool('ruff'), ['--version'], { cwd: REPO });
    expect(stdout.trim()).toBe(`ruff ${pinned}`);
    expect(LONGEST).toHaveLength(50);
  });

  it.each(cases)('$label', async ({ kind, flags, name }) => {
    const dir = freshDir(`names-${kind}-${flags.join('').replace(/\W+/g, '-')}-${name.length}`);
    await mlportfolio(dir, kind, '--yes', '--skip-install', `--name=${name}`, ...flags);
    const project = join(dir, name);
    // run() throws with ruff's report (file, line, rule) when either check fails.
    await run(tool('ruff'), ['check', '--no-cache', '.'], { cwd: project });
    await run(tool('ruff'), ['format', '--check', '--no-cache', '.'], { cwd: project });
  });
});
