/**
 * Every Python the projects claim (pyproject's requires-python, the --python choices, the CI
 * matrix): the projects without PyTorch are set up and tested on the lowest and highest claimed
 * Python as well as 3.11, which every other e2e file uses. (PyTorch projects run on 3.11 here:
 * the CPU wheel this machine has is cp311; elsewhere torch would come as a multi-GB CUDA build.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectAllPassed, freshDir, make, mlportfolio, run } from './support.js';

const PYTHONS = ['3.10', '3.13'];

/**
 * The interpreter of one minor version: on PATH, or one of pyenv's builds (this machine's pyenv
 * shims answer only for its global version).
 */
function interpreter(version: string): string {
  const root = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const builds = existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')).filter((v) => v.startsWith(`${version}.`)).sort() : [];
  for (const build of builds.reverse()) {
    const path = join(root, 'versions', build, 'bin', `python${version}`);
    if (existsSync(path)) return path;
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, `python${version}`);
    if (existsSync(path) && !dir.includes('shims')) return path;
  }
  throw new Error(`no Python ${version} here: install it (pyenv install ${version}) to run these tests`);
}
const PROJECTS = ['timeseries', 'scraper', 'nlp'];

describe.each(PYTHONS)('Python %s', (version) => {
  it.each(PROJECTS)('%s installs every pin, passes its lint and its tests', async (kind) => {
    const cwd = freshDir(`python-${version}-${kind}`);
    await mlportfolio(cwd, kind, '--yes', '--skip-install', `--python=${version}`, '--name=on-python');
    const project = join(cwd, 'on-python');
    const claimed = readFileSync(join(project, 'pyproject.toml'), 'utf8');
    expect(claimed).toContain('requires-python = ">=3.10,<3.14"');
    expect(readFileSync(join(project, '.github/workflows/ci.yml'), 'utf8')).toMatch(/python: \['3\.10', (?:'3\.1[12]', )?'3\.13'\]/);
    await make(project, 'setup', { PYTHON: interpreter(version) });
    const { stdout } = await run(join(project, '.venv/bin/python'), ['-c', 'import sys; print(sys.version.split()[0])'], { cwd: project });
    expect(stdout.trim().startsWith(`${version}.`)).toBe(true);
    await make(project, 'lint');
    expectAllPassed((await make(project, 'test')).all);
  });
});
