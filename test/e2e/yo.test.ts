/**
 * `yo mlportfolio:timeseries` as a user would run it: the package packed with `npm pack`,
 * installed like any generator, run by yo as a non-root user (yo refuses root), giving the same
 * bytes as the bin.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDir, mlportfolio, REPO, run, tree } from './support.js';

const USER = 'mlportfolio-e2e';
const isRoot = process.getuid?.() === 0;

/** The unprivileged test user's command line (when we are root), with a clean environment. */
function userCommand(command: string, args: string[], home: string, extra: Record<string, string> = {}): [string, string[], Record<string, string>] {
  const env = { HOME: home, PATH: process.env.PATH ?? '', NO_UPDATE_NOTIFIER: '1', CI: 'true', ...extra };
  return isRoot
    ? ['runuser', ['-u', USER, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), command, ...args], {}]
    : [command, args, env];
}

/** Runs a command as the unprivileged test user when we are root, else as ourselves. */
function asUser(command: string, args: string[], cwd: string, home: string, extra: Record<string, string> = {}) {
  const [bin, argv, env] = userCommand(command, args, home, extra);
  return run(bin, argv, { cwd, env });
}

const YO = join(REPO, 'node_modules/yo/lib/cli.js');

/** The folders a non-root user writes to: owned by that user. */
async function giveToUser(...dirs: string[]): Promise<void> {
  if (isRoot) await run('chown', ['-R', USER, ...dirs], { cwd: REPO });
}

describe.sequential('npm pack and yo', () => {
  let tarball = '';
  let root = '';

  beforeAll(async () => {
    root = freshDir('yo');
    const packed = await run('npm', ['pack', '--pack-destination', root, '--json'], { cwd: REPO });
    tarball = join(root, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    if (isRoot) {
      const exists = await execa('id', ['-u', USER], { reject: false });
      if (exists.exitCode !== 0) await run('useradd', ['--create-home', USER], { cwd: root });
    }
  });

  it('packs the templates with their dotfiles and nothing of the sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], { cwd: root });
    const files = stdout.split('\n');
    expect(files).toContain('package/templates/common/dot_gitignore');
    expect(files).toContain('package/templates/common/dot_github/workflows/ci.yml.ejs');
    expect(files).toContain('package/dist/generators/timeseries/index.js');
    expect(files.some((file) => file.startsWith('package/test/') || file.endsWith('.ts'))).toBe(false);
    await run('npx', ['publint', '--strict'], { cwd: REPO });
  });

  it('runs as yo mlportfolio:timeseries for a non-root user, byte for byte like the bin', async () => {
    const home = freshDir('yo/home');
    const install = freshDir('yo/install');
    // Its own package.json, or npm would walk up and install into this repository.
    writeFileSync(join(install, 'package.json'), '{ "name": "yo-e2e", "private": true }\n');
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', tarball], { cwd: install });
    const out = freshDir('yo/install/out');
    if (isRoot) await run('chown', ['-R', USER, home, install], { cwd: root });
    chmodSync(root, 0o755);
    const yo = YO;
    await asUser('node', [yo, 'mlportfolio:timeseries', '--yes', '--skip-install', '--year=2026', '--tracker=none'], out, home);
    expect(readdirSync(out)).toEqual(['timeseries-forecaster']);

    const viaBin = freshDir('yo/bin');
    await mlportfolio(viaBin, 'timeseries', '--yes', '--skip-install', '--year=2026', '--tracker=none');
    expect(tree(join(out, 'timeseries-forecaster'))).toEqual(tree(join(viaBin, 'timeseries-forecaster')));

    // Inside the project, yo regenerates with one changed answer and keeps the others, like the bin.
    const project = join(out, 'timeseries-forecaster');
    await asUser('node', [yo, 'mlportfolio:timeseries', '--horizon=12', '--skip-install'], project, home);
    const stored = JSON.parse(readFileSync(join(project, '.yo-rc.json'), 'utf8'))['generator-mlportfolio'];
    expect(stored).toMatchObject({ horizon: 12, tracker: 'none', year: 2026 });
    await mlportfolio(join(viaBin, 'timeseries-forecaster'), 'timeseries', '--horizon=12', '--skip-install');
    expect(tree(project)).toEqual(tree(join(viaBin, 'timeseries-forecaster')));
    // yo mlportfolio:update finds nothing to do in a current project.
    await asUser('node', [yo, 'mlportfolio:update'], project, home);
    expect(tree(project)).toEqual(tree(join(viaBin, 'timeseries-forecaster')));
  });

  it('refuses an unknown or misspelled flag through yo with the bin\'s one line and exit 1', async () => {
    const home = freshDir('yo/home-flags');
    const out = freshDir('yo/install/flags');
    await giveToUser(home, out);
    const [bin, argv, env] = userCommand('node', [YO, 'mlportfolio:timeseries', '--modle=unet', '--yes'], home);
    const refused = await execa(bin, argv, { cwd: out, env, reject: false, all: true });
    const viaBin = await execa('node', [join(REPO, 'dist/cli/main.js'), 'timeseries', '--modle=unet', '--yes'], { cwd: out, reject: false });
    expect(refused.exitCode).toBe(1);
    expect(refused.all!.trim()).toBe(viaBin.stderr.trim());
    expect(viaBin.stderr.trim()).toMatch(/^mlportfolio: error: unknown option --modle; allowed: --name,/);
    expect(readdirSync(out)).toEqual([]);
  });

  it.each([
    ['npm install --global of the packed tarball', (prefix: string) => run('npm', ['install', '--global', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: root, env: { npm_config_prefix: prefix } })],
    ['npm link in a built clone', (prefix: string) => run('npm', ['link', '--no-audit', '--no-fund'], { cwd: REPO, env: { npm_config_prefix: prefix } })],
  ])('installs by %s: mlportfolio on PATH, and yo finds the generator for a non-root user', async (label, install) => {
    const prefix = freshDir(`yo/${label.split(' ')[1]}-prefix`);
    await install(prefix);
    const bin = join(prefix, 'bin');
    const version = await run(join(bin, 'mlportfolio'), ['--version'], { cwd: root });
    expect(version.stdout).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
    const home = freshDir(`yo/${label.split(' ')[1]}-home`);
    const out = freshDir(`yo/${label.split(' ')[1]}-out`);
    await giveToUser(home, out);
    chmodSync(root, 0o755);
    await asUser('node', [YO, 'mlportfolio:timeseries', '--yes', '--skip-install', '--tracker=none'], out, home, { npm_config_prefix: prefix, PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(readdirSync(join(out, 'timeseries-forecaster'))).toContain('pyproject.toml');
  });
});
