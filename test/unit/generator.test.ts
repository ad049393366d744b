import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import helpers from 'yeoman-test';
import { describe, expect, it } from 'vitest';
import { type Answers, coerce } from '../../core/options.js';
import { schemaOf } from '../../core/definition.js';
import { planFor } from '../../core/render.js';
import { PROJECT_KINDS, PROJECTS } from '../../cli/projects.js';
import { kitFileIsFor, listTemplateFiles, TEMPLATES_ROOT } from '../../core/templates.js';
import { optionsDoc } from '../../cli/docs.js';
import { generatorFile, rendered, runProject, writtenFiles } from './helpers.js';

const defaultsOf = (kind: string): Answers =>
  Object.fromEntries(schemaOf(PROJECTS[kind]!).map((s) => [s.name, s.default]));

describe.each(PROJECT_KINDS)('%s generator', (kind) => {
  const defaults = defaultsOf(kind);
  /** Some other kind of project, for stored answers that belong elsewhere. */
  const other = PROJECT_KINDS.find((k) => k !== kind)!;
  const combos: Record<string, Record<string, unknown>> = {
    defaults: {},
    'no tracker, no docker': { tracker: 'none', docker: false },
    'wandb, no ci, no licence': { tracker: 'wandb', ci: false, license: 'none' },
    'apache, python 3.12': { license: 'Apache-2.0', python: '3.12' },
  };
  // Each non-default value of the project's own choice and yes/no options.
  for (const spec of PROJECTS[kind]!.options) {
    const values = spec.type === 'choice' ? spec.choices.map((c) => c.value) : spec.type === 'boolean' ? [true, false] : [];
    for (const value of values.filter((v) => v !== spec.default)) combos[`${spec.name}=${String(value)}`] = { [spec.name]: value };
  }

  it.each(Object.entries(combos))('writes the expected files: %s', async (_label, options) => {
    const result = await runProject(kind, { ...options, year: 2026 });
    const files = writtenFiles(result, String(defaults.name));
    expect(Object.keys(files).sort()).toMatchSnapshot();
    for (const [path, contents] of Object.entries(files)) {
      expect(contents, `${path} still holds EJS`).not.toMatch(/<%|%>/);
    }
  });

  it('writes free text verbatim: no HTML escaping, valid TOML quoting', async () => {
    const description = 'He said "hi" \\ and <b>ok</b> & $HOME';
    const author = `O'Brien "Bob"`;
    const files = writtenFiles(await runProject(kind, { description, author, year: 2026 }), String(defaults.name));
    expect(files['README.md']).toContain(`\n${description}\n`);
    expect(files['LICENSE']).toContain(`2026 ${author}`);
    const parsed = await execa('python3', ['-c', 'import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())["project"]))'], {
      input: files['pyproject.toml'],
    });
    expect(JSON.parse(parsed.stdout)).toMatchObject({ description, authors: [{ name: author }] });
  });

  it('stores every answer in schema order in .yo-rc.json', async () => {
    const result = await runProject(kind, { tracker: 'none', year: 2030 });
    const stored = JSON.parse(writtenFiles(result, String(defaults.name))['.yo-rc.json']!)['generator-mlportfolio'];
    expect(Object.keys(stored)).toEqual(['project', ...schemaOf(PROJECTS[kind]!).map((s) => s.name), 'version', 'files']);
    expect(stored).toMatchObject({ project: kind, tracker: 'none', year: 2030 });
  });

  it('gives the same bytes for the same answers', async () => {
    const first = writtenFiles(await runProject(kind, { year: 2026 }), String(defaults.name));
    const second = writtenFiles(await runProject(kind, { year: 2026 }), String(defaults.name));
    expect(second).toEqual(first);
  });

  it('asks only what flags and stored answers leave open, and never the year', async () => {
    const result = await helpers
      .run(generatorFile(kind))
      .withOptions({ skipInstall: true, interactive: true, tracker: 'none', docker: false } as never)
      .withAnswers({ name: 'asked-project' });
    const asked = result.askedQuestions.map((q) => q.name);
    const expected = schemaOf(PROJECTS[kind]!)
      .filter((s) => s.message && !['tracker', 'docker'].includes(s.name))
      .map((s) => s.name);
    // The name first (its folder is checked before the rest), the others in schema order, then
    // one confirmation of the summary.
    expect(asked).toEqual([...expected, 'confirmed']);
    expect(asked).not.toContain('year');
    result.assertFile('asked-project/.yo-rc.json');
  });

  it('writes nothing when the summary is not confirmed', async () => {
    const result = await helpers
      .run(generatorFile(kind))
      .withOptions({ skipInstall: true, interactive: true } as never)
      .withAnswers({ name: 'declined', confirmed: false });
    expect(readdirSync(result.cwd)).toEqual([]);
  });

  it('checks the folder right after the name, before asking anything else', async () => {
    const run = helpers
      .run(generatorFile(kind))
      .inTmpDir((dir) => {
        mkdirSync(join(dir, 'taken'));
        writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine');
      })
      .withOptions({ skipInstall: true, interactive: true, force: false } as never)
      // Any question after the name would fail with "missing answer" instead.
      .withAnswers({ name: 'taken' }, { throwOnMissingAnswer: true });
    await expect(run).rejects.toThrow('./taken already exists and holds 1 file(s) (notes.txt)');
  });

  it('asks nothing with --yes', async () => {
    const result = await runProject(kind, { interactive: true, yes: true });
    expect(result.askedQuestions).toEqual([]);
  });

  it('reuses stored answers; a flag beats a stored answer', async () => {
    const stored = { 'generator-mlportfolio': { ...defaults, project: kind, tracker: 'none', license: 'none', year: 2024 } };
    const result = await helpers
      .run(generatorFile(kind))
      .inTmpDir((dir) => writeFileSync(join(dir, '.yo-rc.json'), JSON.stringify(stored)))
      .withOptions({ skipInstall: true, yes: true, force: true, license: 'MIT' } as never);
    const files = writtenFiles(result, '');
    const answers = JSON.parse(files['.yo-rc.json']!)['generator-mlportfolio'];
    expect(answers).toMatchObject({ tracker: 'none', license: 'MIT', year: 2024 });
    expect(files['LICENSE']).toContain('2024');
    expect(Object.keys(files).some((path) => path.endsWith('tracking.py'))).toBe(true);
  });

  it('refuses a stored answer that is not allowed, naming it', async () => {
    const stored = { 'generator-mlportfolio': { project: kind, tracker: 'comet' } };
    await expect(
      helpers
        .run(generatorFile(kind))
        .inTmpDir((dir) => writeFileSync(join(dir, '.yo-rc.json'), JSON.stringify(stored)))
        .withOptions({ skipInstall: true, yes: true } as never),
    ).rejects.toThrow('invalid tracker in .yo-rc.json=comet: expected one of mlflow, wandb, none');
  });

  it.each([
    [{ 'generator-mlportfolio': { project: other } }, {}, `belongs to a "${other}" project; run mlportfolio ${other} here`],
    [{ 'generator-mlportfolio': { project: kind, name: 'kept' } }, { name: 'renamed' }, 'a project cannot be renamed by regenerating'],
  ])('refuses to regenerate over a mismatched .yo-rc.json (%#)', async (stored, options, message) => {
    await expect(
      helpers
        .run(generatorFile(kind))
        .inTmpDir((dir) => writeFileSync(join(dir, '.yo-rc.json'), typeof stored === 'string' ? stored : JSON.stringify(stored)))
        .withOptions({ skipInstall: true, yes: true, ...options } as never),
    ).rejects.toThrow(message);
  });

  it('refuses a target folder that holds other files', async () => {
    await expect(
      helpers
        .run(generatorFile(kind))
        .inTmpDir((dir) => {
          mkdirSync(join(dir, 'taken'));
          writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine');
        })
        .withOptions({ skipInstall: true, yes: true, force: false, name: 'taken' } as never),
    ).rejects.toThrow('./taken already exists and holds 1 file(s) (notes.txt)');
  });

  it('uses every template file in some combination of answers', () => {
    // Every value of every choice or yes/no option, one at a time from the defaults (with Docker
    // and CI on): each file that some answer selects shows up at least once.
    const used = new Set<string>();
    const schema = schemaOf(PROJECTS[kind]!);
    const base = { ...defaults, docker: true, ci: true } as Answers;
    const variations: Answers[] = [base];
    for (const spec of schema) {
      const values = spec.type === 'choice' ? spec.choices.map((c) => c.value) : spec.type === 'boolean' ? [true, false] : [];
      for (const value of values) variations.push({ ...base, [spec.name]: value });
    }
    for (const answers of variations) for (const file of planFor(PROJECTS[kind]!, answers)) used.add(file.source);
    const all = [
      ...listTemplateFiles(join(TEMPLATES_ROOT, 'common'))
        .filter((f) => kitFileIsFor(f, kind))
        .map((f) => join(TEMPLATES_ROOT, 'common', f)),
      ...listTemplateFiles(join(TEMPLATES_ROOT, kind))
        .filter((f) => !f.startsWith('fragments/'))
        .map((f) => join(TEMPLATES_ROOT, kind, f)),
    ];
    expect(all.filter((file) => !used.has(file))).toEqual([]);
  });
});

describe('templates', () => {
  it('use EJS only in .ejs files, and every .ejs file uses it', () => {
    for (const file of listTemplateFiles(TEMPLATES_ROOT)) {
      const text = readFileSync(join(TEMPLATES_ROOT, file), 'latin1');
      if (file.endsWith('.ejs')) expect(text, file).toMatch(/<%/);
      else expect(text, file).not.toMatch(/<%[=\-_# ]/);
    }
  });
});

describe('docs/options.md', () => {
  it('matches the schemas (run `npm run docs` when this fails)', () => {
    const committed = readFileSync(new URL('../../docs/options.md', import.meta.url), 'utf8');
    expect(committed).toBe(optionsDoc());
  });
});

describe('samples', () => {
  it.each(PROJECT_KINDS)('samples/%s/.yo-rc.json holds valid answers for every option', (kind) => {
    const stored = JSON.parse(readFileSync(new URL(`../../samples/${kind}/.yo-rc.json`, import.meta.url), 'utf8'))[
      'generator-mlportfolio'
    ];
    expect(stored.project).toBe(kind);
    for (const spec of schemaOf(PROJECTS[kind]!)) {
      expect(() => coerce(spec, stored[spec.name], spec.name)).not.toThrow();
    }
  });
});

describe('app generator (yo mlportfolio)', () => {
  it('asks which project and composes it', async () => {
    const result = await helpers
      .run(generatorFile('app'))
      .withOptions({ skipInstall: true, interactive: true } as never)
      .withAnswers({ project: 'timeseries', name: 'picked', tracker: 'none' });
    expect(result.askedQuestions[0]!.name).toBe('project');
    result.assertFile('picked/.yo-rc.json');
    result.assertNoFileContent('picked/pyproject.toml', /mlflow/);
  });

  it('takes the project as an argument', async () => {
    const result = await helpers
      .run(generatorFile('app'))
      .withArguments(['timeseries'])
      .withOptions({ skipInstall: true, yes: true } as never);
    result.assertFile('timeseries-forecaster/Makefile');
  });

  it('names the allowed projects for an unknown one', async () => {
    await expect(
      helpers.run(generatorFile('app')).withArguments(['robotics']).withOptions({ skipInstall: true } as never),
    ).rejects.toThrow(`unknown project "robotics"; choose one of: ${PROJECT_KINDS.join(', ')}`);
  });
});

describe('option values named in templates', () => {
  // EJS cannot be type-checked, so a misspelled value (`model === 'unett'`) would quietly render
  // the `false` branch. Every comparison of an option with a quoted value must name a real choice.
  it.each(PROJECT_KINDS)('templates of %s compare options only with values they can take', (kind) => {
    const schema = schemaOf(PROJECTS[kind]!);
    const choices = new Map(schema.filter((s) => s.type === 'choice').map((s) => [s.name, s.choices.map((c) => c.value as string)]));
    const files = [
      ...listTemplateFiles(join(TEMPLATES_ROOT, 'common'))
        .filter((f) => kitFileIsFor(f, kind))
        .map((f) => join(TEMPLATES_ROOT, 'common', f)),
      ...listTemplateFiles(join(TEMPLATES_ROOT, kind)).map((f) => join(TEMPLATES_ROOT, kind, f)),
    ].filter((file) => file.endsWith('.ejs'));
    let compared = 0;
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\b([a-z]+)\s*[!=]==\s*'([^']*)'/g)) {
        const allowed = choices.get(match[1]!);
        if (!allowed) continue;
        compared += 1;
        expect(allowed, `${file}: ${match[0]}`).toContain(match[2]);
      }
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('generated files speak about the user\'s project', () => {
  // Text about the machine, tests or measurements of this generator's developers has no place in a
  // user's repository, nor a placeholder author where git knows the real one.
  const OURS = [
    /\b2-core\b|\btwo-core\b/i,
    /\bbusy (?:\d-core )?(?:machine|cpu)\b/i,
    /\bour (?:own )?(?:machine|tests?|measurements?|runs?)\b/i,
    /\bother jobs\b/i,
    /\bmeasured on (?:a|an|our|this)\b/i,
    /\bgenerator's own\b/i,
    /\bno status badge\b/i,
  ];
  it.each(PROJECT_KINDS)('%s: no phrase about our machine or tests, for any option value, and no "Your Name"', (kind) => {
    const schema = schemaOf(PROJECTS[kind]!);
    const variations: Answers[] = [{}];
    for (const spec of schema) {
      const values = spec.type === 'choice' ? spec.choices.map((c) => c.value) : spec.type === 'boolean' ? [true, false] : [];
      for (const value of values) variations.push({ [spec.name]: value });
    }
    for (const answers of variations) {
      for (const [path, text] of Object.entries(rendered(kind, { ...answers, author: 'Ada Lovelace', email: 'ada@example.org', year: 2026 }))) {
        for (const phrase of OURS) expect(text.match(phrase)?.[0], `${kind} ${JSON.stringify(answers)}: ${path}`).toBeUndefined();
        expect(text, `${kind}: ${path}`).not.toContain('Your Name');
      }
    }
  });

  it('starts every README with no results, saying how to get them', () => {
    for (const kind of PROJECT_KINDS) {
      const readme = rendered(kind, { year: 2026 })['README.md']!;
      const section = readme.split('<!-- results:start -->')[1]!.split('<!-- results:end -->')[0]!;
      expect(section).toContain('`make train` fills this section from your own run');
      expect(section, kind).not.toMatch(/\d\.\d/); // no numbers before the user's own run
    }
  });

  it.each(PROJECT_KINDS)('%s: a model card and a blog draft with every section filled in, results from the run', (kind) => {
    const SECTIONS = {
      'docs/model-card.md': ['Model details', 'Intended use', 'Training and evaluation data', 'Metrics', 'Limitations and biases', 'How to reproduce'],
      'docs/blog-post.md': ['The problem', 'The data', 'The approach, and why', 'Results', 'What was hard', 'What comes next', 'In plain words'],
    };
    for (const answers of [{}, { tracker: 'none', ci: false }] as Answers[]) {
      const files = rendered(kind, { ...answers, author: 'Ada Lovelace', year: 2026 });
      for (const [path, headings] of Object.entries(SECTIONS)) {
        const text = files[path]!;
        expect(text, path).toContain('Ada Lovelace');
        expect(text, path).not.toMatch(/more information needed|\bTODO\b|lorem ipsum|\[(?:your|fill)/i);
        const sections = text.split(/^## /m).slice(1);
        expect(sections.map((section) => section.split('\n')[0]), `${kind} ${path}`).toEqual(headings);
        for (const section of sections) expect(section.split('\n').slice(1).join('\n').trim().length, `${kind} ${path}: ${section.split('\n')[0]}`).toBeGreaterThan(80);
        expect(text, path).toContain('<!-- results:start -->');
      }
    }
  });
});
