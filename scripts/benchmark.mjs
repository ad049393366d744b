#!/usr/bin/env node
// Benchmark (not a test): median wall time of generating a project and of its `make setup` and
// `make test` and `make train`.
// Usage: node scripts/benchmark.mjs [project] [--runs N] [--setup-runs N] [--train-runs N] [-- extra generator flags]
// Prints a Markdown table to paste into docs/benchmarks.md. Machines are shared and noisy: medians.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const project = args.find((arg, i) => i < (args.indexOf('--') + 1 || Infinity) && !arg.startsWith('--') && Number.isNaN(Number(arg))) ?? 'timeseries';
const runs = flag('--runs', 5);
const setupRuns = flag('--setup-runs', 3);
const trainRuns = flag('--train-runs', 1);
// Generator flags after `--` pick a variant, e.g. `-- --model=unet`.
const extra = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function time(command, commandArgs, cwd) {
  const start = performance.now();
  execFileSync(command, commandArgs, { cwd, stdio: 'ignore' });
  return (performance.now() - start) / 1000;
}

function generate() {
  const cwd = mkdtempSync(join(tmpdir(), 'mlportfolio-bench-'));
  const seconds = time('node', [bin, project, '--yes', '--skip-install', '--name=bench', ...extra], cwd);
  return { cwd, project: join(cwd, 'bench'), seconds };
}

const rows = [];
const generation = [];
for (let i = 0; i < runs; i += 1) {
  const run = generate();
  generation.push(run.seconds);
  rmSync(run.cwd, { recursive: true, force: true });
}
rows.push([`mlportfolio ${project} --yes --skip-install`, generation]);

const setups = [];
const tests = [];
const trains = [];
for (let i = 0; i < setupRuns; i += 1) {
  const run = generate();
  setups.push(time('make', ['setup'], run.project));
  if (i === setupRuns - 1) {
    for (let j = 0; j < runs; j += 1) tests.push(time('make', ['test'], run.project));
    for (let j = 0; j < trainRuns; j += 1) trains.push(time('make', ['train'], run.project));
  }
  rmSync(run.cwd, { recursive: true, force: true });
}
const installer = execFileSync('sh', ['-c', 'command -v uv >/dev/null && echo uv || echo pip']).toString().trim();
if (setupRuns > 0) rows.push([`make setup (fresh .venv, ${installer}, warm cache)`, setups], ['make test', tests]);
if (trains.length > 0) rows.push(['make train', trains]);

console.log(`Project: ${project} ${extra.join(' ')}; ${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| step | median (s) | runs | min–max (s) |\n| --- | --- | --- | --- |');
for (const [label, values] of rows) {
  console.log(`| ${label} | ${median(values).toFixed(2)} | ${values.length} | ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} |`);
}
