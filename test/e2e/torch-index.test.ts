/**
 * CPU PyTorch for users, proven with the real uv and pip on a generated cv project. PyTorch's CPU
 * index (https://download.pytorch.org/whl/cpu) cannot be reached from this machine, so:
 * - uv resolves the project without installing, and its log shows which index it asks for torch
 *   (the one pyproject.toml names, for torch alone and on Linux alone);
 * - pip, started by the project's own scripts/setup.sh, prints the indexes it was given before it
 *   resolves anything: the setup is stopped there;
 * - `make setup` with TORCH_INDEX naming this machine's copy of the CPU wheel as an index
 *   (support.ts), and no other source of torch, installs that CPU build.
 * About 40 s.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDir, localTorchIndex, make, mlportfolio, REPO, run, withoutUv } from './support.js';

const VERSIONS = JSON.parse(readFileSync(join(REPO, 'templates/python-versions.json'), 'utf8')) as { versions: Record<string, string> };

const CPU_INDEX = 'https://download.pytorch.org/whl/cpu';
const CUDA_INDEX = 'https://download.pytorch.org/whl/cu130';

/**
 * Runs the project's scripts/setup.sh with pip (no uv on PATH) in the existing environment `venv`
 * until pip prints the indexes it looks in for the project's packages, then interrupts it as
 * Ctrl-C would. Returns that line and whether the environment is still there.
 */
async function pipIndexes(project: string, venv: string, env: Record<string, string>): Promise<{ indexes: string; venvKept: boolean }> {
  const setup = execa('sh', ['scripts/setup.sh'], {
    cwd: project,
    env: { ...withoutUv, VENV: venv, TORCH_INDEX: '', PIP_RETRIES: '0', ...env },
    all: true,
    reject: false,
    detached: true, // its own process group, so the interrupt reaches pip as well
    stdin: 'ignore',
  });
  let output = '';
  const indexes = await new Promise<string>((resolve, reject) => {
    setup.all!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const installing = output.split(`==> ${venv}/bin/python -m pip install --extra-index-url`)[1];
      const line = installing?.split('\n').find((l) => l.startsWith('Looking in indexes: '));
      if (line) resolve(line);
    });
    setup.then(() => reject(new Error(`setup.sh ended before pip named its indexes:\n${output.slice(-3000)}`)), reject);
  });
  process.kill(-setup.pid!, 'SIGINT');
  await setup;
  return { indexes, venvKept: existsSync(join(project, venv, 'bin/python')) };
}

describe.sequential('a torch project takes CPU PyTorch from the index its pyproject.toml names', () => {
  let project = '';

  beforeAll(async () => {
    const cwd = freshDir('torch-index-check');
    await mlportfolio(cwd, 'cv', '--yes', '--skip-install', '--name=index-check', '--tracker=none');
    project = join(cwd, 'index-check');
    await run('uv', ['venv', '-q', '.venv-probe', '--python', 'python3.11'], { cwd: project });
    // For setup.sh's pip path: an environment with pip in it (uv makes one in a second).
    await run('uv', ['venv', '-q', '--seed', '.venv-pip', '--python', 'python3.11'], { cwd: project });
  });

  /** uv resolves the project for a platform without installing; -v logs every index request. */
  const uvResolve = (...args: string[]) =>
    execa('uv', ['pip', 'install', '--dry-run', '-v', '--python', '.venv-probe/bin/python', ...args, '-e', '.'], {
      cwd: project,
      all: true,
      reject: false,
      stdin: 'ignore',
      env: { UV_HTTP_RETRIES: '0' },
    });

  it('uv reads the CPU index from pyproject.toml, for torch alone and on Linux alone', async () => {
    const linux = await uvResolve();
    const asked = [...linux.all.matchAll(/(?:request|response) for: (https:\/\/download\.pytorch\.org\/\S+)/g)].map((m) => m[1]);
    expect(asked.length, linux.all.slice(-3000)).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set([`${CPU_INDEX}/torch/`]));

    for (const platform of ['aarch64-apple-darwin', 'x86_64-pc-windows-msvc']) {
      const other = await uvResolve('--python-platform', platform);
      expect(other.all, platform).toContain("torch{sys_platform != 'linux'}");
      expect(other.all, platform).not.toContain('download.pytorch.org');
    }
  });

  it('setup.sh gives pip the same index, and TORCH_INDEX replaces it', async () => {
    const cpu = await pipIndexes(project, '.venv-pip', {});
    expect(cpu.indexes.split(/,? /)).toContain(CPU_INDEX);
    expect(cpu.venvKept, 'an interrupted setup leaves an environment it did not create').toBe(true);

    const cuda = await pipIndexes(project, '.venv-pip', { TORCH_INDEX: CUDA_INDEX });
    expect(cuda.indexes.split(/,? /)).toContain(CUDA_INDEX);
    expect(cuda.indexes).not.toContain(CPU_INDEX);
  });

  it('make setup installs the CPU build from the index TORCH_INDEX names, with no other source of torch', async () => {
    // Where PyTorch's index can be reached (no copy of the wheel on disk), the real one.
    const index = localTorchIndex() ?? CPU_INDEX;
    // uv's find-links (the wheel folders, which also hold that wheel) are switched off.
    const setup = await make(project, 'setup', { TORCH_INDEX: index, UV_FIND_LINKS: '' });
    expect(setup.all).toContain(`==> uv pip install --index pytorch=${index} -e .[dev]`);
    const torch = await run('.venv/bin/python', ['-c', 'import torch; print(torch.__version__, torch.version.cuda)'], { cwd: project });
    expect(torch.stdout.trim()).toBe(`${VERSIONS.versions.torch}+cpu None`);
  });
});
