/**
 * The timeseries project, proven by running it: generate with the real bin, `make setup` (real venv,
 * real pip), its own lint and tests, training, and the tracked runs read back with the MLflow client.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKit, commitAll, expectAllPassed, expectForestStudies, expectReportFromRun, expectSampleReproducible, freshDir, generateSample, make, mlportfolio, registeredChampion, poll, runCiTestJob, serving, trackedRuns, tree, withoutUv } from './support.js';
import { expectSurvivesHostileInput } from './hostile.js';

describe.sequential('timeseries sample (the defaults: MLflow, Docker, CI)', () => {
  let project = '';

  beforeAll(async () => {
    project = await generateSample('timeseries'); // with the real install step: make setup
  });

  it('regenerates the same bytes from its stored answers, equal to a --yes run', async () => {
    await expectSampleReproducible('timeseries', project);
  });

  it("runs its CI workflow's test job locally: make setup, lint and the offline test suite", async () => {
    await runCiTestJob(project);
  });

  it('trains, beats seasonal naive by a wide margin, and logs to MLflow with the git commit', async () => {
    const { git, head } = await commitAll(project);
    const trained = await make(project, 'train');
    expect(String(trained.all)).toMatch(/MASE/i);
    const runs = await trackedRuns(project);
    const parents = runs.filter((r) => !r.parent && r.experiment !== 'Default');
    expect(parents.length).toBeGreaterThan(0);
    const main = parents[0]!;
    expect(main.status).toBe('FINISHED');
    expect(Object.keys(main.params).length).toBeGreaterThan(0);
    const mase = Object.entries(main.metrics).filter(([key]) => /mase/i.test(key));
    const naive = mase.find(([key]) => /naive/i.test(key))?.[1];
    const best = Math.min(...mase.map(([, value]) => value));
    expect(naive).toBeDefined();
    expect(best).toBeLessThan(0.5);
    expect(best).toBeLessThan(naive! / 2);
    expect(main.artifacts.some((path) => path.endsWith('.png') || path.includes('plot'))).toBe(true);
    expect(runs.filter((r) => r.parent === undefined).length).toBeLessThan(runs.length); // nested tuning runs
    expect(main.commit).toBe(head);
    expect(main.artifacts).toEqual(expect.arrayContaining(['forecast.png', 'results.json', 'metadata.json']));
    // make train registered its model under the project's name; this run's version is the
    // champion (the first one), and it loads back through mlflow.pyfunc with its signature.
    const champion = await registeredChampion(project, main.experiment);
    expect(champion).toMatchObject({ runId: main.id, hasExample: true, inputs: ['h'] });
    expect(champion.tags.headline_metric).toMatch(/^best_mase=/);
    expect(Number(champion.tags.headline_metric!.split('=')[1])).toBeCloseTo(main.metrics.best_mase!, 6);
    // Each forest study is a child run with its figure; the backtest comparison holds backtest.png.
    expectForestStudies(project, runs, main, 'backtest.png');
    const models = ['seasonal_naive', 'holt_winters', 'sarima', 'random_forest', 'extra_trees', 'boosting', 'stacking'];
    expect(main.metrics.best_mase).toBe(Math.min(...models.map((model) => main.metrics[`${model}_mase`]!)));
    expect(main.metrics.best_mase).toBe(main.metrics[`${main.tags.best_model}_mase`]);
    // The README's results are this run's numbers, read back from MLflow; training added only
    // the report to git (mlflow.db, mlruns/ and models/ are ignored).
    const section = await expectReportFromRun(project, main.id);
    for (const model of models) {
      expect(section).toContain(` ${main.metrics[`${model}_mase`]!.toFixed(3)} |`);
    }
    expect(section).toContain(`MASE ${main.metrics.best_mase!.toFixed(2)} against ${naive!.toFixed(2)}`);
    expect(section).toContain(`commit \`${head.slice(0, 10)}\``);
    expect((await git('status', '--porcelain')).stdout).not.toMatch(/models\/|mlflow|mlruns/);
    // make report alone rewrites the same bytes from reports/results.json.
    const readme = readFileSync(join(project, 'README.md'));
    expect((await make(project, 'report')).all).toContain('already up to date');
    expect(readFileSync(join(project, 'README.md')).equals(readme)).toBe(true);
  });

  it('serves forecasts over HTTP with make serve, bounds enforced', async () => {
    const port = String(18000 + Math.floor(Math.random() * 1000));
    const server = execa('make', ['serve', `PORT=${port}`], { cwd: project, reject: false, stdin: 'ignore', all: true });
    try {
      const base = `http://127.0.0.1:${port}`;
      const health = await poll(`${base}/health`, 90_000);
      expect(health.status).toBe(200);
      const ok = await fetch(`${base}/forecast?h=6`);
      const body = (await ok.json()) as { h: number; forecast: { date: string; value: number }[] };
      expect(ok.status).toBe(200);
      expect(body.forecast).toHaveLength(6);
      expect(body.forecast[0]!.value).toBeGreaterThan(300); // ppm of CO2, not an index or zero
      for (const bad of ['0', '61', 'abc']) {
        const refused = await fetch(`${base}/forecast?h=${bad}`);
        expect(refused.status, `h=${bad}`).toBe(400);
        expect(((await refused.json()) as { error: string }).error).toContain('from 1 to 60');
      }
    } finally {
      server.kill('SIGTERM');
      await server;
    }
  });

  it('serves the registry champion with MODEL_URI=models:/<name>@champion make serve', async () => {
    await serving(
      project,
      async (base) => {
        const health = (await (await fetch(`${base}/health`)).json()) as { origin: string };
        // Loaded from the copy MLflow downloaded, not from models/.
        expect(health.origin).toMatch(/^loaded from .*artifacts/);
        const ok = await fetch(`${base}/forecast?h=3`);
        expect(ok.status).toBe(200);
        const body = (await ok.json()) as { forecast: { value: number }[] };
        expect(body.forecast).toHaveLength(3);
        expect(body.forecast[0]!.value).toBeGreaterThan(300);
      },
      { MODEL_URI: 'models:/timeseries-forecaster@champion' },
    );
  });

  it('survives a hostile-input battery: no 5xx, JSON errors, no hangs, /health responsive, bounded memory', async () => {
    const report = await serving(project, (base) => expectSurvivesHostileInput(project, base, 'timeseries'));
    console.log(`timeseries hostile battery: ${JSON.stringify(report)}`);
  });

  it('has a workflow, Dockerfile and compose file that actionlint, shellcheck, hadolint and compose accept', async () => {
    await checkKit(project, { ci: true, docker: true });
  });
});

describe.sequential('timeseries without tracking or Docker', () => {
  let project = '';

  beforeAll(async () => {
    const cwd = freshDir('timeseries-bare');
    await mlportfolio(cwd, 'timeseries', '--yes', '--tracker=none', '--no-docker', '--name=bare-forecast', '--skip-install');
    project = join(cwd, 'bare-forecast');
    // The plain path of setup.sh, for users without uv: python -m venv + pip.
    const setup = await make(project, 'setup', withoutUv);
    expect(setup.all).toContain('-m pip install');
  });

  it('has no Docker or MLflow files and no mlflow dependency', () => {
    const files = Object.keys(tree(project));
    expect(files).not.toContain('Dockerfile');
    expect(files).not.toContain('docker-compose.yml');
    expect(readFileSync(join(project, 'pyproject.toml'), 'utf8')).not.toMatch(/mlflow/i);
  });

  it('passes lint, tests and training', async () => {
    await make(project, 'lint');
    const tested = await make(project, 'test');
    expectAllPassed(String(tested.all));
    const trained = await make(project, 'train');
    expect(String(trained.all)).toMatch(/MASE/i);
    // Untracked, the README still gets this run's results, and says there is no run to open.
    const readme = readFileSync(join(project, 'README.md'), 'utf8');
    expect(readme).toContain('(not tracked, ');
    expect(readme).toContain('![Forecast vs actual over the latest backtest fold](reports/figures/forecast.png)');
  });

  it('has a workflow that actionlint and shellcheck accept', async () => {
    await checkKit(project, { ci: true, docker: false });
  });
});

describe.sequential('timeseries with W&B (offline), Apache licence, no CI, CSV source', () => {
  let project = '';
  const wandb = { WANDB_MODE: 'offline' };

  beforeAll(async () => {
    const cwd = freshDir('timeseries-wandb');
    await mlportfolio(cwd, 'timeseries', '--yes', '--name=wandb-forecast', '--tracker=wandb', '--license=Apache-2.0', '--no-ci', '--python=3.12', '--horizon=12', '--source=csv', '--skip-install');
    project = join(cwd, 'wandb-forecast');
    await make(project, 'setup');
  });

  it('passes lint and its tests with W&B offline', async () => {
    await make(project, 'lint');
    const tested = await make(project, 'test', wandb);
    expectAllPassed(tested.all);
  });

  it('asks for make data before training on a CSV it does not have, then trains on co2 into a W&B offline run', async () => {
    await expect(make(project, 'train', wandb)).rejects.toThrow(/make data/);
    const trained = await make(project, 'train', { ...wandb, SOURCE: 'co2' });
    expect(trained.all).toMatch(/MASE/i);
    expect(readdirSync(join(project, 'wandb')).some((entry) => entry.startsWith('offline-run-'))).toBe(true);
  });

  it('has a Dockerfile that hadolint accepts and a Python 3.12 image', async () => {
    await checkKit(project, { ci: false, docker: true });
    expect(readFileSync(join(project, 'Dockerfile'), 'utf8')).toContain('FROM python:3.12-slim');
    expect(readFileSync(join(project, 'LICENSE'), 'utf8')).toContain('Apache License');
  });
});

