/**
 * CPU PyTorch by default: a torch project names PyTorch's CPU wheel index once, in pyproject.toml
 * ([[tool.uv.index]] + [tool.uv.sources], which uv reads itself), and scripts/setup.sh (uv and
 * pip), the Dockerfile and CI (through make setup) take it from there; TORCH_INDEX replaces it.
 * test/e2e/torch-index.test.ts runs the real tools on it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../../core/options.js';
import { rendered } from './helpers.js';

const CPU_INDEX = 'https://download.pytorch.org/whl/cpu';

const TORCH_PROJECTS: [string, Answers, string[]][] = [
  ['cv', {}, ['torch']],
  ['cv', { model: 'unet' }, ['torch']],
  ['cv', { model: 'pretrained' }, ['torch', 'torchvision']],
  ['speech', {}, ['torch']],
  ['nlp', { model: 'torch' }, ['torch']],
];

/** pyproject.toml as Python's own TOML parser reads it. */
async function toml(text: string): Promise<Record<string, any>> {
  const { stdout } = await execa('python3', ['-c', 'import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))'], { input: text });
  return JSON.parse(stdout);
}

/** Runs one shell line in a folder holding `pyproject`, then prints what `variable` became. */
async function shellValue(line: string, variable: string, pyproject: string, env: Record<string, string> = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'torch-index-'));
  writeFileSync(join(dir, 'pyproject.toml'), pyproject);
  const { stdout } = await execa('sh', ['-c', `${line}\nprintf '%s' "$${variable}"`], { cwd: dir, env: { TORCH_INDEX: '', ...env } });
  return stdout;
}

describe.each(TORCH_PROJECTS)('%s %j (PyTorch)', (kind, answers, packages) => {
  const files = rendered(kind, { ...answers, year: 2026 });

  it('names the CPU index once, in pyproject.toml, for its PyTorch packages on Linux only', async () => {
    const holders = Object.entries(files).filter(([, text]) => text.includes(CPU_INDEX));
    expect(holders.map(([path]) => path)).toEqual(['pyproject.toml']);
    expect(files['pyproject.toml']!.split(CPU_INDEX).length - 1).toBe(1);

    const { project, tool } = await toml(files['pyproject.toml']!);
    expect(tool.uv.index).toEqual([{ name: 'pytorch', url: CPU_INDEX, explicit: true }]);
    expect(Object.keys(tool.uv.sources).sort()).toEqual(packages);
    for (const name of packages) {
      expect(tool.uv.sources[name]).toEqual([{ index: 'pytorch', marker: "sys_platform == 'linux'" }]);
      expect((project.dependencies as string[]).some((d) => d.startsWith(`${name}==`)), name).toBe(true);
    }
  });

  it('scripts/setup.sh reads that url (or TORCH_INDEX) and hands it to uv and to pip', async () => {
    const setup = files['scripts/setup.sh']!;
    const line = setup.split('\n').find((l) => l.startsWith('TORCH_INDEX='))!;
    expect(await shellValue(line, 'TORCH_INDEX', files['pyproject.toml']!)).toBe(CPU_INDEX);
    const cuda = 'https://download.pytorch.org/whl/cu130';
    expect(await shellValue(line, 'TORCH_INDEX', files['pyproject.toml']!, { TORCH_INDEX: cuda })).toBe(cuda);

    // uv: pyproject.toml alone, unless TORCH_INDEX was given (then named, and best-match).
    expect(setup).toContain('TORCH_INDEX_GIVEN="${TORCH_INDEX:-}"');
    expect(setup).toContain('uv pip install --python "$VENV/bin/python" -e ".[dev]"');
    expect(setup).toContain('uv pip install --python "$VENV/bin/python" --index "pytorch=$TORCH_INDEX" \\\n            --index-strategy unsafe-best-match -e ".[dev]"');
    expect(setup).toContain('"$VENV/bin/python" -m pip install --extra-index-url "$TORCH_INDEX" -e ".[dev]"');
  });

  it('the Dockerfile reads the same url (or --build-arg TORCH_INDEX) for its pip install', async () => {
    const dockerfile = files['Dockerfile']!;
    expect(dockerfile).toMatch(/^ARG TORCH_INDEX=$/m);
    const line = dockerfile.split('\n').find((l) => l.trimStart().startsWith('&& index='))!;
    const assignment = line.trim().replace(/^&& /, '').replace(/ \\$/, '');
    expect(await shellValue(assignment, 'index', files['pyproject.toml']!)).toBe(CPU_INDEX);
    expect(await shellValue(assignment, 'index', files['pyproject.toml']!, { TORCH_INDEX: 'http://127.0.0.1:9/simple' })).toBe('http://127.0.0.1:9/simple');
    expect(dockerfile).toContain('&& pip install --extra-index-url "$index" . \\');
    expect(dockerfile).not.toContain('PIP_EXTRA_INDEX_URL');
  });

  it('CI takes it through make setup, with no index of its own', () => {
    const ci = files['.github/workflows/ci.yml']!;
    expect(ci).toContain('run: make setup');
    expect(ci).not.toMatch(/PIP_EXTRA_INDEX_URL|download\.pytorch\.org|TORCH_INDEX/);
  });

  it('the README says how to get the CUDA build, and which platforms PyTorch has wheels for', () => {
    const readme = files['README.md']!;
    const section = readme.split('### PyTorch: CPU or GPU')[1]!.split(/\n##/)[0]!;
    expect(section).toContain('rm -rf .venv\nmake setup TORCH_INDEX=https://download.pytorch.org/whl/cu130');
    expect(section).toContain('On macOS and Windows torch comes from PyPI, whose wheels\nfor them are CPU builds');
    const pinned = /"torch==([^"]+)"/.exec(files['pyproject.toml']!)![1]!;
    expect(section).toContain(`PyTorch ${pinned} has wheels for Linux (x86-64 and ARM64), Windows (x86-64) and\nApple-silicon macOS`);
  });
});

describe.each<[string, Answers]>([
  ['timeseries', {}],
  ['scraper', {}],
  ['nlp', {}],
  ['nlp', { model: 'keras' }],
])('%s %j (no PyTorch)', (kind, answers) => {
  it('has no PyTorch index, uv sources or TORCH_INDEX anywhere', () => {
    for (const [path, text] of Object.entries(rendered(kind, { ...answers, year: 2026 }))) {
      expect(text, path).not.toMatch(/download\.pytorch\.org|tool\.uv|TORCH_INDEX|PIP_EXTRA_INDEX_URL/);
    }
  });
});
