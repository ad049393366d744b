/**
 * Every Python the projects claim (pyproject's requires-python, the --python choices, the CI
 * matrix): the projects without PyTorch are set up and tested on the lowest and highest claimed
 * Python as well as 3.11, which every other e2e file uses. (PyTorch projects run on 3.11 here:
 * the CPU wheel this machine has is cp311; elsewhere torch would come as a multi-GB CUDA build.)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { commonOptions } from '../../core/options.js';
import { pinnedRequirements, pythonVersions } from '../../core/templates.js';
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

/** Every --python choice: the Pythons a generated project's CI and Docker image may run on. */
const CLAIMED = (() => {
  const spec = commonOptions('x', 'x').find((option) => option.name === 'python');
  if (spec?.type !== 'choice') throw new Error('the common options have no --python choice');
  return spec.choices.map((choice) => choice.value);
})();

// Resolving is seconds where installing is minutes: every pin of every requirements group, on every
// claimed Python, including the PyTorch groups that the installs below leave out (a pin whose
// release needs a newer Python fails here first, as hypothesis 6.170 did on 3.10).
describe('every pin', () => {
  it.each(CLAIMED)('resolves on Python %s', async (version) => {
    const dir = freshDir(`resolve-${version}`);
    for (const group of Object.keys(pythonVersions().requirements)) {
      const pins = pinnedRequirements(group);
      if (pins.length === 0) continue;
      const file = join(dir, `${group}.in`);
      writeFileSync(file, `${pins.join('\n')}\n`);
      const result = await execa('uv', ['pip', 'compile', '--quiet', '--no-python-downloads', '--python-version', version, file], { all: true, reject: false });
      expect(result.exitCode, `group "${group}" on Python ${version}:\n${result.all}`).toBe(0);
    }
  });
});

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
