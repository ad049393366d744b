/**
 * The Docker files of generated projects, proven with a real engine: every project's default
 * image and one variant whose Dockerfile differs are built with `docker build`, run as their
 * non-root user, turn healthy through their own HEALTHCHECK and answer their demo endpoint with a
 * real result. A one-line source edit rebuilds without touching the dependency layer. Compose
 * brings up the app and the MLflow server; a training run in a one-off container logs to
 * http://mlflow:5000 and is read back through the server's REST API from here.
 *
 * Where no engine runs, test/e2e/docker/engine.sh starts a private one and builds local stand-ins
 * for the images the files name (python:<v>-slim, the MLflow server); with a Docker that can pull,
 * the real images are used. Where the PyTorch CPU index cannot be reached, the CPU torch wheel on
 * this machine is served as that index (the Dockerfile's TORCH_INDEX build argument).
 * Figures (size, build times, time to healthy, the answer) go to .e2e/docker-report.json.
 *
 * Scope: ten 1-2 GB images take over an hour to build on 2 cores, more than the whole CI run may
 * take, so `npm test` builds the timeseries image (with the warm rebuild) and the compose pair;
 * `E2E_DOCKER=all` builds every project's image and variant (docs/docker.md has their figures).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, appendFileSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDir, mlportfolio, poll, REPO, run, upload, WORK } from './support.js';

const ENGINE = join(REPO, 'test/e2e/docker/engine.sh');
const STATE = process.env.MLP_DOCKER_STATE ?? join(REPO, '.e2e/docker-engine');
const VERSIONS = JSON.parse(readFileSync(join(REPO, 'templates/python-versions.json'), 'utf8')) as { versions: Record<string, string> };
const REPORT = join(WORK, 'docker-report.json');

/** The environment a docker client needs for the engine in use (ours: its socket and plugins). */
let dockerEnv: Record<string, string> = {};
const docker = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
  run('docker', args, { cwd: options.cwd ?? REPO, env: { ...dockerEnv, ...options.env } });
const dockerBytes = async (args: string[]): Promise<Buffer> => {
  const result = await execa('docker', args, { env: dockerEnv, encoding: 'buffer', stdin: 'ignore' });
  return Buffer.from(result.stdout);
};

/** One image's figures, for docs/docker.md. */
interface Measured {
  image: string;
  options: string;
  sizeMB: number;
  /** The base image's share of sizeMB (here a stand-in when this engine cannot pull). */
  baseMB: number;
  buildColdS: number;
  buildWarmS?: number;
  healthyS: number;
  result: string;
}
const measured: Measured[] = [];
const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;

// --- the CPU torch wheel of this machine, served as a package index on 127.0.0.1 -------------------

/** The folder pip's configuration names for find-links, when it holds a CPU torch wheel. */
async function localTorchWheels(): Promise<string | undefined> {
  const result = await execa('python3', ['-m', 'pip', 'config', 'list'], { reject: false, stdin: 'ignore' });
  for (const match of String(result.stdout).matchAll(/find-links='([^']+)'/g)) {
    const dir = match[1]!;
    if (existsSync(dir) && readdirSync(dir).some((f) => /^torch-.*\+cpu-.*\.whl$/.test(f))) return dir;
  }
  return undefined;
}

/** A PEP 503 index with the wheels of `dir` (pip trusts plain HTTP on 127.0.0.1). */
function wheelIndex(dir: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    const wheels = readdirSync(dir).filter((f) => f.endsWith('.whl'));
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project) {
      const links = wheels.filter((f) => f.split('-')[0]!.toLowerCase().replace(/_/g, '-') === project);
      if (!links.length) return void response.writeHead(404).end();
      response.writeHead(200, { 'Content-Type': 'text/html' });
      return void response.end(links.map((f) => `<a href="/files/${encodeURIComponent(f)}">${f}</a>`).join('\n'));
    }
    const file = /^\/files\/([^/]+)$/.exec(path)?.[1];
    if (file && wheels.includes(file)) {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(join(dir, file)).size });
      return void createReadStream(join(dir, file)).pipe(response);
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let torchIndex: string | undefined;
let indexServer: Server | undefined;
let startedEngine = false;

beforeAll(async () => {
  const running = existsSync(join(STATE, 'dockerd.pid'));
  await run('bash', [ENGINE, 'start'], { cwd: REPO });
  startedEngine = !running && existsSync(join(STATE, 'own'));
  const envFile = join(STATE, 'env');
  dockerEnv = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  dockerEnv.DOCKER_BUILDKIT = '1';
  await run('bash', [ENGINE, 'images', '3.11', ...(process.env.E2E_DOCKER === 'all' ? ['3.12'] : []), '--mlflow', VERSIONS.versions.mlflow!], { cwd: REPO });
  const wheels = existsSync(join(STATE, 'own')) ? await localTorchWheels() : undefined;
  if (wheels) {
    indexServer = await wheelIndex(wheels);
    torchIndex = `http://127.0.0.1:${(indexServer.address() as AddressInfo).port}/simple`;
  }
  writeFileSync(REPORT, '[]');
}, 1_200_000);

afterAll(async () => {
  writeFileSync(REPORT, JSON.stringify({ date: new Date().toISOString(), load: readFileSync('/proc/loadavg', 'utf8').trim(), images: measured }, null, 2));
  indexServer?.close();
  // The project images are 1-2 GB each: keep the stand-ins and BuildKit's cache, not these.
  if (builtTags.size) await docker(['rmi', '-f', ...builtTags]).catch(() => undefined);
  if (startedEngine) await run('bash', [ENGINE, 'stop'], { cwd: REPO });
});

// --- building, running, probing ---------------------------------------------------------------------

/** `docker build` of a project; with the local torch index when the project pins torch. */
const builtTags = new Set<string>();
async function build(project: string, tag: string): Promise<{ s: number; log: string }> {
  builtTags.add(tag);
  const args = ['build', '--progress=plain', '-t', tag];
  if (torchIndex && /"torch==/.test(readFileSync(join(project, 'pyproject.toml'), 'utf8'))) {
    args.push('--network=host', '--build-arg', `TORCH_INDEX=${torchIndex}`);
  }
  const started = Date.now();
  const { all } = await docker([...args, '.'], { cwd: project });
  return { s: seconds(started), log: all };
}

const imageMB = async (tag: string) => Math.round(Number((await docker(['image', 'inspect', '-f', '{{.Size}}', tag])).stdout) / 1e6);
const layers = async (tag: string) => JSON.parse((await docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', tag])).stdout) as string[];

interface Running {
  name: string;
  base: string;
  healthyS: number;
  exec: (...args: string[]) => Promise<string>;
}

/** Starts `tag` detached on a free port; resolves once Docker reports it healthy. */
async function start(tag: string, name: string, extra: string[] = [], timeoutS = 300): Promise<Running> {
  await docker(['rm', '-f', name]).catch(() => undefined);
  const started = Date.now();
  await docker(['run', '-d', '--name', name, '-p', '127.0.0.1::8000', ...extra, tag]);
  for (;;) {
    const status = (await docker(['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', name])).stdout.trim();
    if (status === 'running healthy') break;
    if (!status.startsWith('running') || Date.now() - started > timeoutS * 1000) {
      const logs = await docker(['logs', '--tail', '40', name]).then((r) => r.all, (e: Error) => e.message);
      throw new Error(`${tag} is "${status}" after ${seconds(started)} s:\n${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const healthyS = seconds(started);
  const port = (await docker(['port', name, '8000/tcp'])).stdout.trim().split('\n')[0]!.split(':').pop();
  return { name, base: `http://127.0.0.1:${port}`, healthyS, exec: async (...args) => (await docker(['exec', name, ...args])).stdout };
}

/** The image runs as its unprivileged user: the configured USER and the server process (PID 1). */
async function expectNonRoot(tag: string, app: Running): Promise<void> {
  expect((await docker(['image', 'inspect', '-f', '{{.Config.User}}', tag])).stdout.trim()).toBe('10001:10001');
  const status = await app.exec('cat', '/proc/1/status');
  expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual(['10001', '10001']);
  expect(await app.exec('sh', '-c', 'touch /app/probe && ! touch /opt/venv/probe 2>/dev/null && echo ok')).toBe('ok');
}

const json = async (response: Response) => {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

/** Each project's demo request, against the running container; returns what it answered, in short. */
const DEMOS: Record<string, (app: Running, pkg: string) => Promise<string>> = {
  async timeseries(app) {
    const body = (await json(await fetch(`${app.base}/forecast?h=12`))) as { model: string; forecast: { date: string; value: number }[] };
    expect(body.forecast).toHaveLength(12);
    const values = body.forecast.map((p) => p.value);
    // Monthly CO2 at Mauna Loa after 2001: about 370 ppm, with the seasonal swing of a few ppm.
    for (const v of values) expect(v).toBeGreaterThan(360), expect(v).toBeLessThan(390);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(2);
    return `GET /forecast?h=12: ${body.model}, ${body.forecast[0]!.date} ${values[0]} ... ${body.forecast[11]!.date} ${values[11]}`;
  },
  async nlp(app) {
    const response = await fetch(`${app.base}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'what is 12 times 7?' }) });
    const body = (await json(response)) as { intent: string; reply: string; confidence: number };
    expect(body).toMatchObject({ intent: 'math', reply: '12 * 7 = 84' });
    const fallback = await json(await fetch(`${app.base}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'asdf qwerty zxcv' }) }));
    expect(fallback.intent).toBe('fallback');
    return `POST /api/chat "what is 12 times 7?": intent math (${body.confidence.toFixed(2)}), reply "${body.reply}"`;
  },
  async cv(app, pkg) {
    // A synthetic shapes image (a seed training never uses) drawn by the project's own code, in the image.
    const code = `import sys; from PIL import Image; from ${pkg}.data import synthetic_shapes; Image.fromarray(synthetic_shapes(1, seed=4252)[0].image).resize((384, 384), Image.Resampling.NEAREST).save(sys.stdout.buffer, format="PNG")`;
    const png = await dockerBytes(['exec', app.name, 'python', '-c', code]);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(((await json(await fetch(`${app.base}/health`))) as { origin: string }).origin).toContain('loaded from models');
    const body = (await json(await upload(`${app.base}/predict?format=json`, 'image', png, 'shapes.png', 'image/png'))) as { width: number; detections: { label: string; score: number }[] };
    expect(body.width).toBe(384);
    expect(body.detections.length).toBeGreaterThan(0);
    for (const d of body.detections) expect(['circle', 'square', 'triangle', 'cross']).toContain(d.label);
    const annotated = await upload(`${app.base}/predict`, 'image', png, 'shapes.png', 'image/png');
    expect(annotated.headers.get('content-type')).toBe('image/png');
    const best = [...body.detections].sort((a, b) => b.score - a.score)[0]!;
    return `POST /predict: ${body.detections.length} detections, best ${best.label} ${best.score.toFixed(2)}`;
  },
  async speech(app, pkg) {
    const wav = await dockerBytes(['exec', app.name, 'sh', '-c', `python -m ${pkg} synth --digits 4 2 7 --out /tmp/clip.wav >/dev/null && cat /tmp/clip.wav`]);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    // Without a saved model the server trains one in the background and answers 503 meanwhile.
    const started = Date.now();
    for (;;) {
      const response = await upload(`${app.base}/transcribe`, 'file', wav, 'clip.wav', 'audio/wav');
      if (response.status !== 503 || Date.now() - started > 600_000) {
        const body = (await json(response)) as { transcript: string; digits: string };
        expect(body).toMatchObject({ transcript: 'four two seven', digits: '427' });
        return `POST /transcribe (synthesised "4 2 7"): "${body.transcript}" after ${seconds(started)} s of training at startup`;
      }
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  },
  async scraper(app, pkg) {
    const empty = (await json(await fetch(`${app.base}/books`))) as { count: number };
    expect(empty.count).toBe(0); // the image ships no data
    // Fill the container's database with the offline demo catalogue, as the README says.
    await app.exec('python', '-m', pkg, 'demo');
    const body = (await json(await fetch(`${app.base}/books?min_rating=4&limit=5`))) as { count: number; books: { title: string; rating: number; price: number }[] };
    expect(body.count).toBe(5);
    for (const book of body.books) expect(book.rating).toBeGreaterThanOrEqual(4), expect(book.price).toBeGreaterThan(0);
    const health = await json(await fetch(`${app.base}/health`));
    expect(health.books).toBeGreaterThan(200);
    return `GET /books?min_rating=4&limit=5 after a demo crawl in the container: ${health.books} books stored, first "${body.books[0]!.title}" (${body.books[0]!.rating} stars, £${body.books[0]!.price})`;
  },
};

/**
 * Runs before the server starts, in a one-off container of the same image, on the volume that
 * becomes the server's /app. The cv server without a saved model trains one for a fixed 15 s at
 * startup: on a loaded 2-core machine that is a handful of steps and a model that finds nothing
 * (measured: 16 steps, mAP@0.5 0.00). So the image's own `train` makes the model the server
 * loads, as a user would run it.
 */
const PREPARE: Record<string, (tag: string, home: string, pkg: string) => Promise<string>> = {
  async cv(tag, home, pkg) {
    const { all } = await docker(['run', '--rm', '-v', `${home}:/app`, tag, 'python', '-m', pkg, 'train', '--steps', '200']);
    return /mAP@0\.5[^\n]*/.exec(all)?.[0] ?? '';
  },
};

/** kind -> the default project's image, then one variant whose Dockerfile differs. */
const PROJECTS: { kind: string; variant: string[] }[] = [
  { kind: 'timeseries', variant: ['--python=3.12'] },
  { kind: 'scraper', variant: ['--license=none'] },
  { kind: 'nlp', variant: ['--model=torch'] }, // the PyTorch CPU index
  { kind: 'cv', variant: ['--model=unet', '--license=none'] },
  { kind: 'speech', variant: ['--rnn=lstm', '--license=none'] },
];

async function generate(kind: string, name: string, options: string[]): Promise<string> {
  const dir = freshDir(`docker-${name}`);
  await mlportfolio(dir, kind, '--yes', '--skip-install', `--name=${name}`, ...options);
  return join(dir, name);
}

async function proveImage(kind: string, project: string, tag: string, options: string, warm: boolean): Promise<Running> {
  const cold = await build(project, tag);
  let warmS: number | undefined;
  if (warm) {
    // A one-line edit of the source: the rebuild keeps every layer but the project's own.
    const before = await layers(tag);
    const pkg = readdirSync(join(project, 'src'))[0]!;
    appendFileSync(join(project, 'src', pkg, '__init__.py'), '# edited\n');
    const rebuilt = await build(project, tag);
    warmS = rebuilt.s;
    const after = await layers(tag);
    expect(after).toHaveLength(before.length);
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1)); // the dependencies' layer included
    expect(after.at(-1)).not.toBe(before.at(-1));
    // BuildKit's own word for it: the step that installs the dependencies was not run again.
    const step = /^(#\d+) \[builder[^\]]*\] RUN .*pip uninstall/m.exec(rebuilt.log)?.[1];
    expect(step, 'the dependency step in the build log').toBeDefined();
    expect(rebuilt.log.split('\n')).toContain(`${step} CACHED`);
  }
  const sizeMB = await imageMB(tag);
  const baseMB = await imageMB(/^FROM (\S+) AS runtime$/m.exec(readFileSync(join(project, 'Dockerfile'), 'utf8'))![1]!);
  const name = tag.replace(/[:/]/g, '-');
  const pkg = readdirSync(join(project, 'src'))[0]!;
  const home = `${name}-home`;
  let prepared = '';
  if (PREPARE[kind]) {
    await docker(['volume', 'rm', '-f', home]);
    const started = Date.now();
    const summary = await PREPARE[kind]!(tag, home, pkg);
    prepared = ` (model from \`train --steps 200\` in a one-off container, ${seconds(started)} s: ${summary})`;
  }
  const app = await start(tag, name, PREPARE[kind] ? ['-v', `${home}:/app`] : []);
  try {
    await expectNonRoot(tag, app);
    const result = (await DEMOS[kind]!(app, pkg)) + prepared;
    measured.push({ image: tag, options, sizeMB, baseMB, buildColdS: cold.s, buildWarmS: warmS, healthyS: app.healthyS, result });
    console.log(`docker ${tag}: ${JSON.stringify(measured.at(-1))}`);
    return app;
  } finally {
    await docker(['rm', '-f', app.name]);
    if (PREPARE[kind]) await docker(['volume', 'rm', '-f', home]);
  }
}

/**
 * A build (up to 6 min here under load), then the speech server's training at startup (up to
 * 6 min) or cv's one-off training: more than the e2e project's 15-minute default on a busy machine.
 */
const IMAGE_TIMEOUT = 1_800_000;

const EVERY = process.env.E2E_DOCKER === 'all';

describe.sequential('Docker images of every project', () => {
  for (const { kind, variant } of EVERY ? PROJECTS : PROJECTS.filter((p) => p.kind === 'timeseries')) {
    it(`${kind}: the default image builds, caches its dependencies, runs as non-root, turns healthy and answers`, async () => {
      const project = await generate(kind, `${kind}-image`, []);
      await proveImage(kind, project, `${kind}-image:latest`, 'defaults', true);
    }, IMAGE_TIMEOUT);
    if (!EVERY) continue;
    it(`${kind} ${variant.join(' ')}: builds, runs as non-root, turns healthy and answers`, async () => {
      const project = await generate(kind, `${kind}-variant`, variant);
      await proveImage(kind, project, `${kind}-variant:latest`, variant.join(' '), false);
    }, IMAGE_TIMEOUT);
  }
});

describe.sequential('docker compose: the app beside an MLflow server', () => {
  it('comes up healthy, logs a training run from a one-off container to http://mlflow:5000, read back over REST', async () => {
    const project = await generate('timeseries', 'compose-forecast', []);
    // The app on a port Docker picks (8000 may be taken on a shared machine). The MLflow server
    // keeps the file's 5000: it refuses a Host header its --allowed-hosts does not list.
    const override = join(project, '..', 'ports.override.yml');
    writeFileSync(override, 'services:\n  app:\n    ports: !override\n      - "127.0.0.1::8000"\n');
    const compose = (...args: string[]) => docker(['compose', '-f', 'docker-compose.yml', '-f', override, ...args], { cwd: project });
    await build(project, 'compose-forecast:latest'); // the image compose names; `up` finds it
    try {
      const started = Date.now();
      await compose('up', '-d', '--wait');
      const upS = seconds(started);
      const port = async (service: string, inner: number) => (await compose('port', service, String(inner))).stdout.trim().split(':').pop();
      const app = `http://127.0.0.1:${await port('app', 8000)}`;
      const mlflow = 'http://127.0.0.1:5000';
      expect((await poll(`${mlflow}/health`, 30_000)).status).toBe(200);
      expect(((await json(await fetch(`${app}/forecast?h=3`))) as { forecast: unknown[] }).forecast).toHaveLength(3);

      const trained = await compose('run', '--rm', 'app', 'python', '-m', 'compose_forecast', 'train');
      expect(trained.all).toMatch(/MASE/i);

      const experiment = (await json(await fetch(`${mlflow}/api/2.0/mlflow/experiments/get-by-name?experiment_name=compose-forecast`))) as { experiment: { experiment_id: string } };
      const search = await fetch(`${mlflow}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ experiment_ids: [experiment.experiment.experiment_id], max_results: 50 }),
      });
      const { runs } = (await json(search)) as { runs: { info: { run_id: string; status: string; run_name: string; artifact_uri: string }; data: { metrics?: { key: string; value: number }[]; params?: { key: string; value: string }[] } }[] };
      expect(runs.length).toBeGreaterThan(0);
      for (const r of runs) expect(r.info.status).toBe('FINISHED');
      const withMetrics = runs.filter((r) => (r.data.metrics ?? []).some((m) => /mase/i.test(m.key)));
      expect(withMetrics.length).toBeGreaterThan(0);
      // Artifacts went through the server (proxied), not to a path inside the one-off container.
      const best = withMetrics[0]!;
      expect(best.info.artifact_uri).toMatch(/^mlflow-artifacts:/);
      const artifacts = (await json(await fetch(`${mlflow}/api/2.0/mlflow/artifacts/list?run_id=${best.info.run_id}`))) as { files?: unknown[] };
      expect(artifacts.files?.length ?? 0).toBeGreaterThan(0);
      const mase = best.data.metrics!.find((m) => /mase/i.test(m.key))!;
      measured.push({ image: 'compose: compose-forecast + mlflow', options: 'docker compose up --wait', sizeMB: 0, baseMB: 0, buildColdS: 0, healthyS: upS, result: `${runs.length} runs read back over REST; run "${best.info.run_name}" ${mase.key}=${mase.value.toFixed(3)}` });
      console.log(`docker compose: ${JSON.stringify(measured.at(-1))}`);
    } finally {
      await compose('down', '--volumes', '--remove-orphans');
    }
  });
});
