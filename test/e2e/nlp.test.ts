/**
 * The nlp project (intent chatbot), proven by running it: the sample through the real bin with
 * `make setup`, its CI test job, training with the tracked run read back from MLflow, the JSON
 * API, and the chat page in headless Chromium; then two variants that cover every other option
 * value (torch + spaCy + maps, keras + NLTK without tracking), each through setup, lint, test, train.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKit, commitAll, expectAllPassed, expectReportFromRun, readmeResults, rowValue, expectSampleReproducible, freshDir, generateSample, make, mlportfolio, registeredChampion, REPO, run, runCiTestJob, serving, type TrackedRun, trackedRuns, tree, withPage } from './support.js';
import { expectSurvivesHostileInput } from './hostile.js';

/** SHA-256 of the data files, computed the way the project does (data.data_hash). */
const DATA_HASH = (pkg: string) => `from ${pkg}.data import data_hash; print(data_hash())`;

async function trainRun(project: string, pkg: string): Promise<TrackedRun> {
  const python = join(project, '.venv/bin/python');
  const runs = (await trackedRuns(project)).filter((r) => r.name === 'train');
  expect(runs).toHaveLength(1);
  const train = runs[0]!;
  expect(train.status).toBe('FINISHED');
  const hash = (await run(python, ['-c', DATA_HASH(pkg)], { cwd: project })).stdout.trim();
  expect(train.params.data_sha256).toBe(hash);
  expect(train.artifacts).toEqual(expect.arrayContaining(['confusion_matrix.png', 'f1_per_intent.png', 'results.json', 'metadata.json']));
  return train;
}

async function chat(base: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe.sequential('nlp sample (the defaults: scikit-learn, NLTK, no maps, MLflow, Docker, CI)', () => {
  let project = '';

  beforeAll(async () => {
    project = await generateSample('nlp'); // with the real install step: make setup
  });

  it('regenerates the same bytes from its stored answers, equal to a --yes run', async () => {
    await expectSampleReproducible('nlp', project);
  });

  it('ships only the chosen pieces: sklearn model, NLTK text, no maps', () => {
    const files = Object.keys(tree(project));
    expect(files).toEqual(expect.arrayContaining(['src/intent_chatbot/model_sklearn.py', 'src/intent_chatbot/text_nltk.py', 'src/intent_chatbot/data/intents.yml', 'src/intent_chatbot/data/heldout.yml', 'src/intent_chatbot/templates/chat.html']));
    for (const absent of ['model_torch.py', 'model_keras.py', 'text_spacy.py', 'features.py', 'maps.py', 'data/maps_intents.yml']) {
      expect(files).not.toContain(`src/intent_chatbot/${absent}`);
    }
    const pyproject = readFileSync(join(project, 'pyproject.toml'), 'utf8');
    expect(pyproject).toMatch(/"nltk==/);
    expect(pyproject).not.toMatch(/torch|tensorflow|spacy/);
  });

  it("runs its CI workflow's test job locally: make setup, lint and the offline test suite", async () => {
    await runCiTestJob(project);
  });

  it('trains to at least 0.95 held-out accuracy and logs metrics, the data hash and the confusion matrix to MLflow', async () => {
    await commitAll(project);
    const trained = await make(project, 'train');
    expect(trained.all).toMatch(/Held-out: accuracy/);
    const train = await trainRun(project, 'intent_chatbot');
    expect(train.experiment).toBe('intent-chatbot');
    expect(train.params.model).toBe('sklearn');
    expect(train.params.text).toBe('nltk');
    // make train registered its model under the project's name; this run's version is the
    // champion (the first one), and it loads back through mlflow.pyfunc with its signature.
    const champion = await registeredChampion(project, train.experiment);
    expect(champion).toMatchObject({ runId: train.id, hasExample: true, inputs: ['text'] });
    expect(champion.tags.headline_metric).toMatch(/^macro_f1=/);
    expect(Number(champion.tags.headline_metric!.split('=')[1])).toBeCloseTo(train.metrics.macro_f1!, 6);
    expect(train.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(train.metrics.macro_f1).toBeGreaterThanOrEqual(0.9);
    expect(train.metrics.out_of_scope_fallback_rate).toBeGreaterThanOrEqual(0.8);
    expect(Object.keys(train.metrics).filter((key) => key.startsWith('f1_')).length).toBeGreaterThanOrEqual(12);
    // The README shows this run's held-out scores, read back from MLflow, and its figures.
    const section = await expectReportFromRun(project, train.id);
    expect(section).toContain(`| accuracy | ${train.metrics.accuracy!.toFixed(3)} |`);
    expect(section).toContain(`| macro-F1 | ${train.metrics.macro_f1!.toFixed(3)} |`);
    await make(project, 'evaluate');
  });

  it('answers on POST /api/chat, refuses bad bodies, and chats in a real browser', async () => {
    await serving(project, async (base) => {
      const ok = await chat(base, { message: 'what is 12 times 7?' });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ intent: 'math', reply: '12 * 7 = 84' });
      expect((ok.json.entities as { label: string }[]).map((e) => e.label)).toEqual(['number', 'number']);
      expect((await chat(base, { message: 'asdf qwerty zxcv' })).json.intent).toBe('fallback');
      for (const [body, type, needle] of [
        [{ message: '' }, 'application/json', 'empty'],
        [{ text: 'hi' }, 'application/json', 'missing'],
        [{ message: 'x'.repeat(501) }, 'application/json', 'limit is 500'],
      ] as const) {
        const refused = await chat(base, body, type);
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(String(refused.json.error)).toContain(needle);
      }
      const plain = await chat(base, 'hello', 'text/plain');
      expect(plain.status).toBe(415); // not sent as JSON
      expect(String(plain.json.error)).toContain('application/json');
      const huge = await chat(base, { message: 'x'.repeat(20_000) });
      expect(huge.status).toBe(413);

      await withPage(async (page) => {
        await page.goto(base);
        await page.fill('#message', 'convert 5 km to miles');
        await page.press('#message', 'Enter');
        await page.locator('#log li.bot p', { hasText: '5 km is 3.11 miles.' }).waitFor({ timeout: 15_000 });
        await page.fill('#message', 'how many days until christmas?');
        await page.click('button[type=submit]');
        await page.locator('#log li.bot p', { hasText: /christmas is \d+ days? from today|christmas is today/ }).waitFor({ timeout: 15_000 });
        await page.fill('#message', 'tell me a joke');
        await page.click('button[type=submit]');
        await page.locator('#log li.bot').nth(2).waitFor({ timeout: 15_000 });
        // Markup typed by a user is shown as text, never run or rendered.
        await page.fill('#message', '<b>hello</b> there');
        await page.click('button[type=submit]');
        await page.locator('#log li.user p', { hasText: '<b>hello</b> there' }).waitFor({ timeout: 15_000 });
        expect(await page.locator('#log b').count()).toBe(0);
        await page.locator('#log li.bot').nth(3).waitFor({ timeout: 15_000 });
        await page.screenshot({ path: join(REPO, 'docs/nlp-page.png') });
      });
    });
  });

  it('survives a hostile-input battery: no 5xx, JSON errors, no hangs, /health responsive, bounded memory', async () => {
    const report = await serving(project, (base) => expectSurvivesHostileInput(project, base, 'nlp'));
    console.log(`nlp hostile battery: ${JSON.stringify(report)}`);
  });

  it('has a workflow, Dockerfile and compose file that actionlint, shellcheck, hadolint and compose accept', async () => {
    await checkKit(project, { ci: true, docker: true });
  });
});

describe.sequential('nlp with PyTorch, spaCy and maps', () => {
  let project = '';

  beforeAll(async () => {
    const cwd = freshDir('nlp-torch');
    await mlportfolio(cwd, 'nlp', '--yes', '--name=torch-bot', '--model=torch', '--text=spacy', '--maps', '--skip-install');
    project = join(cwd, 'torch-bot');
    await make(project, 'setup');
  });

  it('passes lint and its tests (the maps client against a fake Nominatim)', async () => {
    expect(Object.keys(tree(project))).toEqual(expect.arrayContaining(['src/torch_bot/maps.py', 'src/torch_bot/features.py', 'tests/test_maps.py', 'src/torch_bot/data/maps_intents.yml']));
    await make(project, 'lint');
    const tested = await make(project, 'test');
    expectAllPassed(tested.all);
    expect(tested.all).toMatch(/test_maps\.py/); // pytest prints each test file it ran
  });

  it('trains the PyTorch model to at least 0.95 held-out accuracy, the maps intent included', async () => {
    await make(project, 'train');
    const train = await trainRun(project, 'torch_bot');
    expect(train.params).toMatchObject({ model: 'torch', text: 'spacy' });
    expect(train.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(train.metrics.macro_f1).toBeGreaterThanOrEqual(0.9);
    expect(train.metrics.f1_where_is).toBeGreaterThanOrEqual(0.8);
    expect(train.metrics.out_of_scope_fallback_rate).toBeGreaterThanOrEqual(0.8);
  });

  it('has a Dockerfile that installs CPU torch and that hadolint accepts', async () => {
    await checkKit(project, { ci: true, docker: true });
    expect(readFileSync(join(project, 'pyproject.toml'), 'utf8')).toContain('url = "https://download.pytorch.org/whl/cpu"');
    expect(readFileSync(join(project, 'Dockerfile'), 'utf8')).toContain('pip install --extra-index-url "$index" .');
  });
});

describe.sequential('nlp with TensorFlow/Keras and NLTK, no tracking, no Docker', () => {
  let project = '';

  beforeAll(async () => {
    const cwd = freshDir('nlp-keras');
    await mlportfolio(cwd, 'nlp', '--yes', '--name=keras-bot', '--model=keras', '--tracker=none', '--no-docker', '--skip-install');
    project = join(cwd, 'keras-bot');
    await make(project, 'setup');
  });

  it('passes lint, tests and training to at least 0.95 held-out accuracy', async () => {
    expect(readFileSync(join(project, 'pyproject.toml'), 'utf8')).toMatch(/"tensorflow-cpu==/);
    await make(project, 'lint');
    expectAllPassed((await make(project, 'test')).all);
    await make(project, 'train');
    const metadata = JSON.parse(readFileSync(join(project, 'models/metadata.json'), 'utf8')) as { model: string; metrics: Record<string, number> };
    expect(metadata.model).toBe('keras');
    expect(metadata.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(metadata.metrics.macro_f1).toBeGreaterThanOrEqual(0.9);
    expect(metadata.metrics.out_of_scope_fallback_rate).toBeGreaterThanOrEqual(0.8);
    // Untracked, the README still shows this run's numbers, from the saved model's own metadata.
    const { section } = readmeResults(project);
    expect(section).toContain('(not tracked, ');
    expect(rowValue(section, 'accuracy')).toBeCloseTo(metadata.metrics.accuracy!, 2); // 3 decimals vs metadata's 4
    expect(section).toContain('Keras + NLTK');
  });

  it('has a workflow that actionlint and shellcheck accept', async () => {
    await checkKit(project, { ci: true, docker: false });
  });
});
