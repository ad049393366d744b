#!/usr/bin/env node
// Load test (not a test): p50/p99 latency of a generated project's happy-path request at several
// concurrency levels, against its own `make serve` on 127.0.0.1.
// Usage: node scripts/load.mjs <project-dir> [--concurrency 50,200] [--requests-per-client 2]
// The project must be set up (make setup) and is best trained (make train). Prints a Markdown
// table row per level for docs/latency.md. Machines are shared and noisy: quote `uptime` with it.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const project = resolve(args.find((arg) => !arg.startsWith('--') && !/^[\d,]+$/.test(arg)) ?? '.');
const levels = option('--concurrency', '50,200').split(',').map(Number);
const perClient = Number(option('--requests-per-client', '2'));

const answers = JSON.parse(readFileSync(join(project, '.yo-rc.json'), 'utf8'))['generator-mlportfolio'];
const kind = answers.project;
const pkg = answers.name.replaceAll('-', '_');
const python = join(project, '.venv/bin/python');

/** The body of each project's happy-path request, made by the project's own code. */
function payload(code) {
  return Buffer.from(execFileSync(python, ['-c', code], { cwd: project }).toString().trim(), 'base64');
}

function happyPath(base) {
  switch (kind) {
    case 'timeseries':
      return () => fetch(`${base}/forecast?h=12`);
    case 'scraper':
      return () => fetch(`${base}/books?min_rating=4&limit=10`);
    case 'nlp': {
      const body = JSON.stringify({ message: 'what is 12 times 7?' });
      return () => fetch(`${base}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    }
    case 'cv': {
      const png = payload(`import base64, io; from PIL import Image; from ${pkg}.data import synthetic_shapes
buffer = io.BytesIO(); Image.fromarray(synthetic_shapes(1, seed=7)[0].image).save(buffer, "PNG"); print(base64.b64encode(buffer.getvalue()).decode())`);
      return () => {
        const form = new FormData();
        form.append('image', new Blob([png], { type: 'image/png' }), 'shapes.png');
        return fetch(`${base}/predict?format=json`, { method: 'POST', body: form });
      };
    }
    case 'speech': {
      const wav = payload(`import base64, io; import numpy as np, soundfile as sf; from ${pkg}.synth import synthesize
buffer = io.BytesIO(); sf.write(buffer, synthesize([4, 2, 7], np.random.default_rng(1)), 16000, format="WAV"); print(base64.b64encode(buffer.getvalue()).decode())`);
      return () => {
        const form = new FormData();
        form.append('file', new Blob([wav], { type: 'audio/wav' }), 'clip.wav');
        return fetch(`${base}/transcribe`, { method: 'POST', body: form });
      };
    }
    default:
      throw new Error(`unknown project kind ${kind}`);
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** `clients` loops, each sending `perClient` requests one after another; all latencies in ms. */
async function level(request, clients) {
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i += 1) {
        const t0 = performance.now();
        try {
          const response = await request();
          await response.arrayBuffer();
          if (response.status !== 200) errors += 1;
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), errors, rps: latencies.length / seconds, n: latencies.length };
}

async function waitForHealth(base, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok && (await response.json()).model !== 'training') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/health did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const port = 18500 + Math.floor(Math.random() * 400);
const base = `http://127.0.0.1:${port}`;
// Requests from 127.0.0.1 that no proxy forwarded are never rate limited (web.py).
const server = spawn('make', ['serve', `PORT=${port}`], { cwd: project, stdio: 'ignore', detached: true });
try {
  await waitForHealth(base, 180_000);
  const request = happyPath(base);
  for (let i = 0; i < 20; i += 1) await (await request()).arrayBuffer(); // warm-up
  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  for (const clients of levels) {
    const r = await level(request, clients);
    const ms = (x) => Math.round(x);
    console.log(`| ${kind} | ${clients} | ${r.n} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.rps.toFixed(1)} | ${r.errors} | ${load} |`);
  }
} finally {
  process.kill(-server.pid, 'SIGTERM'); // make and the server it started (their own process group)
}
