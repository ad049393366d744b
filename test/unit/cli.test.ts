import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextStepsText } from '../../core/steps.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
let cwd = '';

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mlportfolio-cli-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const mlportfolio = (...args: string[]) => execa('node', [BIN, ...args], { cwd, reject: false, stdin: 'ignore' });

describe('mlportfolio bin', () => {
  it.each([
    [['nope'], 'unknown project "nope"; choose one of: scraper, nlp, cv, speech, timeseries'],
    [[], 'no project given; choose one of: scraper, nlp, cv, speech, timeseries'],
    [['timeseries', '--name='], 'the project name is empty'],
    [['timeseries', '--name=my project'], '"my project" is not a valid project name'],
    [['timeseries', '--name=1st'], '"1st" is not a valid project name'],
    [['timeseries', '--name=lambda'], '"lambda" is a Python keyword'],
    [['timeseries', '--name=../up'], 'contains a path separator or ".."'],
    [['timeseries', '--name=a/b'], 'contains a path separator or ".."'],
    [['timeseries', '--tracker=comet'], 'invalid --tracker=comet: expected one of mlflow, wandb, none'],
    [['timeseries', '--license=GPL'], 'invalid --license=GPL: expected one of MIT, Apache-2.0, none'],
    [['timeseries', '--horizon=999'], 'invalid --horizon=999: expected a whole number from 1 to 60'],
    [['timeseries', '--docker=perhaps'], 'invalid --docker=perhaps: expected true or false'],
    [['timeseries', '--colour=blue'], 'unknown option --colour'],
    [['timeseries', 'one', 'two'], 'unexpected argument "two"; give one folder at most'],
  ])('%j fails with one clear line and writes nothing', async (args, message) => {
    const run = await mlportfolio(...args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('names a .yo-rc.json that is not JSON instead of failing deep inside yeoman', async () => {
    writeFileSync(join(cwd, '.yo-rc.json'), '{ not json');
    const run = await mlportfolio('timeseries', '--yes');
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/\.yo-rc\.json is not valid JSON .*; fix or remove it$/)]);
    expect(readdirSync(cwd)).toEqual(['.yo-rc.json']);
  });

  it('prints every option with its choices and default for --help', async () => {
    const run = await mlportfolio('timeseries', '--help');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('--tracker=<mlflow | wandb | none>');
    expect(run.stdout).toContain('--docker, --no-docker');
    expect(run.stdout).toContain('[default: mlflow]');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('writes ./<name> without a terminal; regenerating unchanged answers writes nothing', async () => {
    const first = await mlportfolio('timeseries', '--name=demo', '--skip-install');
    expect(first.exitCode, first.stderr).toBe(0);
    const project = join(cwd, 'demo');
    expect(readdirSync(project)).toContain('.yo-rc.json');
    const before = readFileSync(join(project, '.yo-rc.json'));
    const again = await execa('node', [BIN, 'timeseries', '--skip-install'], { cwd: project, reject: false, stdin: 'ignore' });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('demo is up to date.');
    expect(readFileSync(join(project, '.yo-rc.json'))).toEqual(before);
  });

  it('refuses a folder that already holds other files', async () => {
    await mlportfolio('timeseries', '--name=demo', '--skip-install');
    writeFileSync(join(cwd, 'demo', 'extra.txt'), 'x');
    rmSync(join(cwd, 'demo', '.yo-rc.json'));
    const before = readdirSync(join(cwd, 'demo')).sort();
    const run = await mlportfolio('timeseries', '--name=demo', '--skip-install');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('./demo already exists and holds');
    expect(readdirSync(join(cwd, 'demo')).sort()).toEqual(before);
  });
});

describe('a newcomer at the command line', () => {
  it('prints the version, and the help of a project with -h as with --help', async () => {
    const version = await mlportfolio('--version');
    expect([version.exitCode, version.stdout]).toEqual([0, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version]);
    const short = await mlportfolio('cv', '-h');
    const long = await mlportfolio('cv', '--help');
    expect(short.exitCode).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    expect(short.stdout).toContain('Usage: mlportfolio cv [folder] [options]');
  });

  it('writes into the folder given as an argument, named after it', async () => {
    const run = await mlportfolio('timeseries', 'demos/co2-lab', '--skip-install');
    expect(run.exitCode, run.stderr).toBe(0);
    const stored = JSON.parse(readFileSync(join(cwd, 'demos/co2-lab/.yo-rc.json'), 'utf8'))['generator-mlportfolio'];
    expect(stored.name).toBe('co2-lab');
    expect(run.stderr).toContain('cd demos/co2-lab\n  git init && git add -A && git commit -m "Generated with generator-mlportfolio"\n  make setup\n');
    const bad = await mlportfolio('timeseries', 'Bad_Name', '--skip-install');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^mlportfolio: error: invalid folder name "Bad_Name" \(or give --name\): "Bad_Name" is not a valid project name/);
  });

  it('takes the author and e-mail from git when git knows them', async () => {
    const gitconfig = join(cwd, 'gitconfig');
    writeFileSync(gitconfig, '[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n');
    const run = await execa('node', [BIN, 'timeseries', '--skip-install', '--year=2026'], { cwd, reject: false, stdin: 'ignore', env: { GIT_CONFIG_GLOBAL: gitconfig } });
    expect(run.exitCode, run.stderr).toBe(0);
    const project = join(cwd, 'timeseries-forecaster');
    expect(readFileSync(join(project, 'LICENSE'), 'utf8')).toContain('Copyright (c) 2026 Ada Lovelace');
    expect(readFileSync(join(project, 'pyproject.toml'), 'utf8')).toContain('authors = [{ name = "Ada Lovelace", email = "ada@example.org" }]');
    for (const entry of readdirSync(project, { recursive: true })) {
      const path = join(project, String(entry));
      if (statSync(path).isFile()) expect(readFileSync(path, 'utf8'), String(entry)).not.toContain('Your Name');
    }
  });

  it('ends a missing make in one line that says the files are written and how to finish', async () => {
    // A PATH with node and git but no make.
    const bin = join(cwd, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const run = await execa(join(bin, 'node'), [BIN, 'timeseries', '--name=demo'], { cwd, reject: false, stdin: 'ignore', env: { PATH: bin }, extendEnv: false });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'mlportfolio: error: make is not installed; the project files are written; install it, then finish with: cd demo && make setup',
    );
    expect(readdirSync(join(cwd, 'demo'))).toContain('pyproject.toml');
  });

  it('ends a failing make setup in one line with the command that finishes the job, leaving no half-built .venv', async () => {
    const run = await execa('node', [BIN, 'timeseries', '--name=demo'], { cwd, reject: false, stdin: 'ignore', env: { PYTHON: 'python9.99' } });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("error: python9.99 was not found; install a Python that pyproject.toml's requires-python allows");
    expect(run.stderr.trim().split('\n').at(-1)).toBe('mlportfolio: error: make setup failed (exit 2); the project files are written; finish with: cd demo && make setup');
    expect(readdirSync(join(cwd, 'demo'))).not.toContain('.venv');
  });

  it('gives PowerShell next steps on Windows', () => {
    mkdirSync(join(cwd, 'co2-lab'));
    const text = nextStepsText('co2-lab', join(cwd, 'co2-lab'), cwd, true, 'win32');
    expect(text).toContain('powershell -ExecutionPolicy Bypass -File scripts\\setup.ps1\n  .venv\\Scripts\\python -m pytest\n  .venv\\Scripts\\python -m co2_lab train');
  });
});

describe('small things a newcomer sees', () => {
  it('lists the projects in the picker one line each, within 80 columns', async () => {
    const { shorten } = await import('../../generators/app/index.js');
    const { PROJECTS } = await import('../../cli/projects.js');
    for (const [kind, definition] of Object.entries(PROJECTS)) {
      // inquirer draws "❯ " before the highlighted choice.
      expect(`❯ ${kind.padEnd(11)} ${shorten(definition.summary, 64)}`.length).toBeLessThanOrEqual(80);
    }
    expect(shorten('one two three four', 12)).toBe('one two…');
  });

  it('prints real defaults in make help, not $(HOST):$(PORT)', async () => {
    const made = await mlportfolio('timeseries', '--skip-install');
    expect(made.exitCode, made.stderr).toBe(0);
    const help = await execa('make', ['help'], { cwd: join(cwd, 'timeseries-forecaster') });
    expect(help.stdout).toMatch(/serve +Start the web API \(HOST=127\.0\.0\.1 PORT=8000 unless given\)/);
    expect(help.stdout).not.toContain('$(');
  });
});
