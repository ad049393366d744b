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

/** Runs a command as the unprivileged test user when we are root, else as ourselves. */
function asUser(command: string, args: string[], cwd: string, home: string) {
  const env = { HOME: home, PATH: process.env.PATH ?? '', NO_UPDATE_NOTIFIER: '1', CI: 'true' };
  return isRoot
    ? run('runuser', ['-u', USER, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), command, ...args], { cwd })
    : run(command, args, { cwd, env });
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
    const yo = join(REPO, 'node_modules/yo/lib/cli.js');
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
});
