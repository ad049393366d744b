/**
 * Regenerate, update and check through the real bin, on real files and real git (no venv): the
 * user's edits survive, answers not given keep their stored values, nothing is half-written.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'dist/cli/main.js');
let cwd = '';
let project = '';

const mlportfolio = (dir: string, ...args: string[]) => execa('node', [BIN, ...args], { cwd: dir, reject: false, stdin: 'ignore' });
const read = (path: string) => readFileSync(join(project, path), 'utf8');
const stored = () => JSON.parse(read('.yo-rc.json'))['generator-mlportfolio'] as Record<string, unknown>;
const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: project });

/** path -> bytes of every file in the project (git's own folder aside). */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = String(entry);
    if (path === '.git' || path.startsWith('.git/') || !statSync(join(dir, path)).isFile()) continue;
    files[path] = readFileSync(join(dir, path)).toString('base64');
  }
  return files;
}

beforeEach(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'mlportfolio-life-'));
  project = join(cwd, 'demo');
  const made = await mlportfolio(cwd, 'timeseries', '--name=demo', '--author=Ada Lovelace', '--tracker=none', '--skip-install');
  expect(made.exitCode, made.stderr).toBe(0);
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('regenerating with changed answers', () => {
  it('keeps the answers it is not told to change and merges the edits of the user', async () => {
    writeFileSync(join(project, 'README.md'), `${read('README.md')}\nMy own notes.\n`);
    writeFileSync(join(project, 'Makefile'), read('Makefile').replace('# `make` alone lists the targets.', '# `make` alone lists the targets. (mine)'));
    const run = await mlportfolio(project, 'timeseries', '--horizon=12', '--skip-install');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/merge +README\.md: your edits and the generator's changes merged cleanly/);
    expect(run.stderr).toMatch(/keep +Makefile: your edits kept/);
    expect(read('README.md')).toContain('My own notes.');
    expect(read('Makefile')).toContain('(mine)');
    expect(read('src/demo/config.py')).toMatch(/^HORIZON = 12$/m);
    expect(stored()).toMatchObject({ horizon: 12, author: 'Ada Lovelace', tracker: 'none', docker: true });
    // Quiet and clean afterwards.
    const check = await mlportfolio(project, 'check');
    expect([check.exitCode, check.stderr]).toEqual([0, '']);
  });

  it('removes unedited files that the new answers drop, and keeps edited ones, saying so', async () => {
    writeFileSync(join(project, 'docker-compose.yml'), `${read('docker-compose.yml')}# mine\n`);
    const run = await mlportfolio(project, 'timeseries', '--no-docker', '--skip-install');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(join(project, 'Dockerfile'))).toBe(false);
    expect(existsSync(join(project, '.dockerignore'))).toBe(false);
    expect(read('docker-compose.yml')).toContain('# mine');
    expect(run.stderr).toMatch(/keep +docker-compose\.yml: no longer generated, but you edited it/);
    expect(Object.keys(stored().files as object)).not.toContain('docker-compose.yml');
  });

  it('replaces an edited file only with --force, and still keeps the stored answers', async () => {
    writeFileSync(join(project, 'src/demo/config.py'), read('src/demo/config.py').replace(/^HORIZON = 24$/m, 'HORIZON = 99'));
    const run = await mlportfolio(project, 'timeseries', '--horizon=6', '--force', '--skip-install');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/force +src\/demo\/config\.py: you had edited it; your edits were replaced because of --force/);
    expect(read('src/demo/config.py')).toMatch(/^HORIZON = 6$/m);
    expect(stored()).toMatchObject({ author: 'Ada Lovelace', tracker: 'none', horizon: 6 });
  });

  it('writes overlapping edits with markers, exits 1, and refuses to run again until they are resolved', async () => {
    const edited = read('src/demo/config.py').replace(/^HORIZON = 24$/m, 'HORIZON = 99');
    writeFileSync(join(project, 'src/demo/config.py'), edited);
    const run = await mlportfolio(project, 'timeseries', '--horizon=7', '--skip-install');
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'mlportfolio: error: 1 file(s) have conflicts, written with markers: src/demo/config.py; resolve them (look for "<<<<<<< yours"), then run again',
    );
    expect(read('src/demo/config.py')).toContain('<<<<<<< yours\nHORIZON = 99\n||||||| previous render\nHORIZON = 24\n=======\nHORIZON = 7\n>>>>>>> mlportfolio 0.2.0\n');
    expect(stored()).toMatchObject({ horizon: 7 });

    const before = snapshot(project);
    for (const args of [['timeseries', '--skip-install'], ['update'], ['check']]) {
      const again = await mlportfolio(project, ...args);
      expect(again.exitCode, args.join(' ')).toBe(1);
      expect(again.stderr).toContain('conflict markers from an earlier run remain in src/demo/config.py');
    }
    expect(snapshot(project)).toEqual(before);

    writeFileSync(join(project, 'src/demo/config.py'), edited.replace('HORIZON = 99', 'HORIZON = 7  # resolved'));
    const resolved = await mlportfolio(project, 'timeseries', '--skip-install');
    expect(resolved.exitCode, resolved.stderr).toBe(0);
    expect(read('src/demo/config.py')).toContain('HORIZON = 7  # resolved');
  });

  it('prints a decision for every file with --dry-run and writes nothing', async () => {
    writeFileSync(join(project, 'README.md'), `${read('README.md')}mine\n`);
    const before = snapshot(project);
    const run = await mlportfolio(project, 'timeseries', '--horizon=3', '--no-docker', '--dry-run');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}delete +Dockerfile: no longer generated/m);
    expect(run.stdout).toMatch(/^ {2}merge +README\.md/m);
    expect(run.stdout).toMatch(/^ {2}update +src\/demo\/config\.py/m);
    expect(run.stdout).toMatch(/^ {2}same +pyproject\.toml/m);
    expect(snapshot(project)).toEqual(before);
  });
});

describe('check', () => {
  it('names what is out of date: hand-edited answers, an older generator', async () => {
    const config = join(project, '.yo-rc.json');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, original.replace('"horizon": 24', '"horizon": 12'));
    const drifted = await mlportfolio(project, 'check');
    expect(drifted.exitCode).toBe(1);
    expect(drifted.stderr).toContain('src/demo/config.py: mlportfolio update would update it');
    writeFileSync(config, original.replace('"version": "0.2.0"', '"version": "0.1.0"'));
    const behind = await mlportfolio(project, 'check');
    expect(behind.exitCode).toBe(1);
    expect(behind.stderr.trim()).toBe('.yo-rc.json: written by generator-mlportfolio 0.1.0; 0.2.0 is installed');
  });

  it('refuses outside a generated project', async () => {
    const run = await mlportfolio(cwd, 'check');
    expect([run.exitCode, run.stderr.trim()]).toEqual([1, 'mlportfolio: error: no .yo-rc.json of mlportfolio here; run mlportfolio check inside a generated project']);
  });
});

/**
 * A newer build of this package, made from this one: version 0.3.0, with templates that change
 * one file, delete two, and add one. `mlportfolio update` with it covers each per-file case.
 */
function newerPackage(): string {
  const root = join(cwd, 'newer');
  mkdirSync(root);
  for (const part of ['dist', 'templates']) cpSync(join(REPO, part), join(root, part), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ ...pkg, version: '0.3.0' }));
  const makefile = join(root, 'templates/timeseries/fragments/Makefile.mk');
  writeFileSync(makefile, readFileSync(makefile, 'utf8').replace('.PHONY: data', '.PHONY: data  # newer template'));
  const precommit = join(root, 'templates/common/dot_pre-commit-config.yaml.ejs');
  writeFileSync(precommit, readFileSync(precommit, 'utf8').replace('rev: v6.0.0', 'rev: v6.1.0'));
  unlinkSync(join(root, 'templates/common/dot_editorconfig'));
  unlinkSync(join(root, 'templates/common/dot_dockerignore'));
  writeFileSync(join(root, 'templates/common/CONTRIBUTING.md'), '# Contributing\n\nRun make lint and make test.\n');
  return join(root, 'dist/cli/main.js');
}

describe('update to a newer generator', () => {
  const edit = () => {
    writeFileSync(join(project, 'Makefile'), read('Makefile').replace('# `make` alone lists the targets.', '# `make` alone lists the targets. (mine)'));
    rmSync(join(project, '.pre-commit-config.yaml'));
    writeFileSync(join(project, '.editorconfig'), `${read('.editorconfig')}# mine\n`);
    writeFileSync(join(project, 'CONTRIBUTING.md'), 'My rules.\n');
  };

  it('takes every per-file case as documented, finding the previous render in git', async () => {
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-qm', 'generated');
    edit();
    const newer = newerPackage();
    const dry = await execa('node', [newer, 'update', '--dry-run'], { cwd: project, reject: false });
    expect(dry.exitCode, dry.stderr).toBe(0);
    const run = await execa('node', [newer, 'update'], { cwd: project, reject: false });
    expect(run.exitCode).toBe(1); // the CONTRIBUTING.md conflict
    const report = run.stderr;
    expect(report).toContain('Updating from generator-mlportfolio 0.2.0 to 0.3.0');
    expect(report).toMatch(/merge +Makefile: your edits and the generator's changes merged cleanly/);
    expect(report).toMatch(/deleted +\.pre-commit-config\.yaml: you deleted it, so it stays deleted \(the generator changed it\)/);
    expect(report).toMatch(/keep +\.editorconfig: no longer generated, but you edited it/);
    expect(report).toMatch(/delete +\.dockerignore: no longer generated, and you had not edited it/);
    expect(report).toMatch(/CONFLICT +CONTRIBUTING\.md: new in the generator, but you already have a file of that name/);
    // Each line of the dry run announced what the update then did.
    for (const line of dry.stdout.split('\n').filter((l) => /^ {2}(merge|delete|deleted|keep|CONFLICT) /.test(l))) expect(report).toContain(line.trim());

    // The result is the newer render plus the user's edits.
    const fresh = mkdtempSync(join(cwd, 'fresh-'));
    await execa('node', [newer, 'timeseries', '--name=demo', '--author=Ada Lovelace', '--tracker=none', '--skip-install', `--year=${String(stored().year)}`], { cwd: fresh });
    const expected = readFileSync(join(fresh, 'demo/Makefile'), 'utf8').replace('# `make` alone lists the targets.', '# `make` alone lists the targets. (mine)');
    expect(read('Makefile')).toBe(expected);
    expect(read('Makefile')).toContain('# newer template');
    expect(existsSync(join(project, '.pre-commit-config.yaml'))).toBe(false);
    expect(existsSync(join(project, '.dockerignore'))).toBe(false);
    expect(read('.editorconfig')).toContain('# mine');
    expect(read('CONTRIBUTING.md')).toMatch(/<<<<<<< yours\nMy rules\.\n[\s\S]*=======\n# Contributing/);
    expect(stored().version).toBe('0.3.0');
    // The render is kept on mlportfolio-base for the next update.
    const base = await git('show', 'mlportfolio-base:Makefile');
    expect(base.stdout).toContain('# newer template');
    expect(base.stdout).not.toContain('(mine)');
  });

  it('marks an edited file as a conflict when no git history holds its previous render', async () => {
    edit();
    rmSync(join(project, 'CONTRIBUTING.md'));
    const run = await execa('node', [newerPackage(), 'update'], { cwd: project, reject: false });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/CONFLICT +Makefile: you edited it and the generator changed it, but its previous version could not be found/);
    expect(read('Makefile')).toContain('(mine)');
    expect(read('Makefile')).toContain('# newer template');
  });
});
