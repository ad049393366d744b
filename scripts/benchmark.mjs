#!/usr/bin/env node
// Benchmark (not a test): median wall time of generating a project and of its `make setup`,
// `make test` and `make train`, with the CPU time those commands used and the load they ran under.
// Usage: node scripts/benchmark.mjs [project] [--runs N] [--setup-runs N] [--test-runs N]
//          [--train-runs N] [-- extra generator flags]
// Prints a Markdown table to paste into docs/benchmarks.md, then the headline of every
// `make train` (reports/results.json), so the quality each time was measured at is on record.
// Machines are shared and noisy: medians, and the 1-minute load average before each run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const ours = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
const flag = (name, fallback) => {
  const at = ours.indexOf(name);
  return at === -1 ? fallback : Number(ours[at + 1]);
};
const project = ours.find((arg, i) => !arg.startsWith('--') && !ours[i - 1]?.startsWith('--')) ?? 'timeseries';
const runs = flag('--runs', 5);
const setupRuns = flag('--setup-runs', 3);
const testRuns = flag('--test-runs', runs);
const trainRuns = flag('--train-runs', 1);
// Generator flags after `--` pick a variant, e.g. `-- --model=unet`.
const extra = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// bash's `times` prints the user and system CPU time of the shell's finished children.
const seconds = (text) => {
  const [, minutes, secs] = /(\d+)m([\d.]+)s/.exec(text);
  return Number(minutes) * 60 + Number(secs);
};

// A user's Python writes bytecode (.pyc) on the first run and reuses it; a shell that sets
// PYTHONDONTWRITEBYTECODE (as some CI images do) would recompile MLflow, pandas and friends on
// every start, about 10 s of every `make train`. Measure what a user gets.
const env = { ...process.env };
delete env.PYTHONDONTWRITEBYTECODE;

function time(command, cwd) {
  const load = loadavg()[0];
  const start = performance.now();
  const out = execFileSync('bash', ['-c', `${command} >/dev/null 2>&1 || exit $?; times`], { cwd, env }).toString();
  const wall = (performance.now() - start) / 1000;
  const [user, system] = out.trim().split('\n').at(-1).trim().split(/\s+/).map(seconds);
  return { wall, cpu: user + system, load };
}

function generate() {
  const cwd = mkdtempSync(join(tmpdir(), 'mlportfolio-bench-'));
  const flags = [project, '--yes', '--skip-install', '--name=bench', ...extra].map((a) => `'${a}'`).join(' ');
  return { cwd, project: join(cwd, 'bench'), measured: time(`node '${bin}' ${flags}`, cwd) };
}

const rows = [];
const generation = [];
for (let i = 0; i < runs; i += 1) {
  const run = generate();
  generation.push(run.measured);
  rmSync(run.cwd, { recursive: true, force: true });
}
if (runs > 0) rows.push([`mlportfolio ${project} --yes --skip-install`, generation]);

const setups = [];
const tests = [];
const trains = [];
const headlines = [];
for (let i = 0; i < setupRuns; i += 1) {
  const run = generate();
  setups.push(time('make setup', run.project));
  if (i === setupRuns - 1) {
    for (let j = 0; j < testRuns; j += 1) tests.push(time('make test', run.project));
    for (let j = 0; j < trainRuns; j += 1) {
      trains.push(time('make train', run.project));
      headlines.push(JSON.parse(readFileSync(join(run.project, 'reports', 'results.json'), 'utf8')).headline);
    }
  }
  rmSync(run.cwd, { recursive: true, force: true });
}
const installer = execFileSync('sh', ['-c', 'command -v uv >/dev/null && echo uv || echo pip']).toString().trim();
if (setupRuns > 0) rows.push([`make setup (fresh .venv, ${installer}, warm cache)`, setups]);
if (tests.length > 0) rows.push(['make test', tests]);
if (trains.length > 0) rows.push(['make train', trains]);

const fixed = (value) => value.toFixed(2);
const range = (values) => `${fixed(Math.min(...values))}–${fixed(Math.max(...values))}`;
console.log(`Project: ${project} ${extra.join(' ')}; ${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| step | median (s) | runs | min–max (s) | median CPU, user + sys (s) | load before (1 min) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [label, measured] of rows) {
  const walls = measured.map((m) => m.wall);
  const loads = measured.map((m) => m.load);
  console.log(`| ${label} | ${fixed(median(walls))} | ${walls.length} | ${range(walls)} | ${fixed(median(measured.map((m) => m.cpu)))} | ${range(loads)} |`);
}
if (headlines.length > 0) {
  console.log(`\n\`make train\` headlines (reports/results.json), run by run:`);
  headlines.forEach((headline, i) => console.log(`${i + 1}. ${headline}`));
}
