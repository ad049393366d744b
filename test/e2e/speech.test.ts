/**
 * The speech project, proven by running it: generate with the real bin, `make setup`, its own lint
 * and tests, `make train` with the tracked run read back from MLflow, the API over HTTP with real
 * clips (synthesised by the project's own CLI) and the upload page in headless Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKit, commitAll, expectAllPassed, expectReportFromRun, expectSampleReproducible, freshDir, generateSample, make, mlportfolio, registeredChampion, REPO, run, runCiTestJob, serving, trackedRuns, tree, upload, withPage } from './support.js';
import { expectSurvivesHostileInput } from './hostile.js';

interface Transcript {
  transcript: string;
  digits: string | null;
  silent: boolean;
  input: { format: string; sample_rate: number; channels: number; duration_s: number };
}

/** A 16-bit PCM WAV of `seconds` of silence (for the too-long and silence cases). */
function silentWav(seconds: number, rate = 8000): Buffer {
  const data = Math.round(seconds * rate) * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

/** `make train`'s summary line: "CER 0.0040  WER 0.0100  real-time factor 0.0123  trained 175 steps in 61.2 s". */
function trainSummary(output: string): { cer: number; wer: number; rtf: number; steps: number; seconds: number } {
  const match = /CER ([\d.]+)\s+WER ([\d.]+)\s+real-time factor ([\d.]+)\s+trained (\d+) steps in ([\d.]+) s/.exec(output);
  if (!match) throw new Error(`no training summary in:\n${output.slice(-3000)}`);
  const [cer, wer, rtf, steps, seconds] = match.slice(1).map(Number) as [number, number, number, number, number];
  return { cer, wer, rtf, steps, seconds };
}

describe.sequential('speech sample (the defaults: GRU, librosa, MLflow, Docker, CI)', () => {
  let project = '';

  beforeAll(async () => {
    project = await generateSample('speech'); // with the real install step: make setup
  });

  it('regenerates the same bytes from its stored answers, equal to a --yes run', async () => {
    await expectSampleReproducible('speech', project);
    const files = Object.keys(tree(project));
    expect(files).not.toContain('src/digits_speech/mel.py'); // librosa gives the filter bank
    expect(readFileSync(join(project, 'pyproject.toml'), 'utf8')).toMatch(/"librosa==[\d.]+"/);
  });

  it("runs its CI workflow's test job locally: make setup, lint and the offline test suite", async () => {
    await runCiTestJob(project);
  });

  it('trains to CER <= 0.01 (the issue-14 bar) and logs loss per validation, CER, WER, RTF and an example to MLflow', async () => {
    const { git, head } = await commitAll(project);
    const trained = await make(project, 'train');
    const summary = trainSummary(String(trained.all));
    console.log(`speech sample: make train ${JSON.stringify(summary)}`);

    const runs = await trackedRuns(project);
    const train = runs.find((r) => r.name === 'train' && r.experiment === 'digits-speech');
    expect(train).toBeDefined();
    expect(train!.status).toBe('FINISHED');
    expect(train!.params.rnn).toBe('gru');
    expect(train!.metrics.final_cer).toBeLessThanOrEqual(0.01);
    expect(train!.metrics.final_wer).toBeLessThanOrEqual(0.1);
    expect(train!.metrics.final_cer).toBeCloseTo(summary.cer, 3);
    // make train registered its model under the project's name; this run's version is the
    // champion (the first one), and it loads back through mlflow.pyfunc with its signature.
    const champion = await registeredChampion(project, train!.experiment);
    expect(champion).toMatchObject({ runId: train!.id, hasExample: true, inputs: ['audio'] });
    expect(champion.tags.headline_metric).toMatch(/^final_cer=/);
    expect(Number(champion.tags.headline_metric!.split('=')[1])).toBeCloseTo(train!.metrics.final_cer!, 6);
    expect(train!.metrics.rtf).toBeGreaterThan(0);
    expect(train!.metrics.rtf).toBeLessThan(0.5);
    expect(train!.metrics.train_seconds).toBeGreaterThan(0);
    // One CTC loss per validation (every 25 steps until it stops), falling by far from the first to the last.
    expect(Number(train!.params.steps)).toBe(summary.steps);
    expect(train!.history.ctc_loss!).toHaveLength(Math.ceil(summary.steps / 25));
    expect(train!.history.ctc_loss!.at(-1)!).toBeLessThan(train!.history.ctc_loss![0]! / 10);
    expect(train!.tags.example_transcript).toMatch(/^[a-z ]+ -> [a-z ]*$/);
    expect(train!.artifacts).toEqual(expect.arrayContaining(['training.png', 'spectrogram.png', 'results.json', 'model.pt', 'model.json', 'examples.txt']));
    expect(train!.commit).toBe(head);
    // The README shows this run's error rates, read back from MLflow, and its two figures.
    const section = await expectReportFromRun(project, train!.id);
    expect(section).toContain(`| character error rate (CER) | ${train!.metrics.final_cer!.toFixed(4)} |`);
    expect(section).toContain(`| word error rate (WER) | ${train!.metrics.final_wer!.toFixed(4)} |`);
    expect((await git('status', '--porcelain')).stdout).not.toMatch(/models\/|mlflow|mlruns/);
  });

  it('serves transcripts over HTTP and on the upload page in a real browser', async () => {
    const clips = freshDir('speech-clips');
    const python = join(project, '.venv/bin/python');
    const synth = (out: string, ...args: string[]) => run(python, ['-m', 'digits_speech', 'synth', '--digits', '4', '2', '7', '--out', join(clips, out), ...args], { cwd: project });
    await synth('clip.wav');
    await synth('clip-48k-stereo.wav', '--sample-rate', '48000', '--channels', '2');
    await synth('clip.flac', '--seed', '5');

    await serving(project, async (base) => {
      const health = (await (await fetch(`${base}/health`)).json()) as { status: string; rnn: string; origin: string };
      expect(health).toMatchObject({ status: 'ok', rnn: 'gru' });
      expect(health.origin).toContain('loaded from models');

      for (const name of ['clip.wav', 'clip-48k-stereo.wav', 'clip.flac']) {
        const response = await upload(`${base}/transcribe`, 'file', readFileSync(join(clips, name)), name);
        expect(response.status, name).toBe(200);
        const body = (await response.json()) as Transcript;
        expect(body.transcript, name).toBe('four two seven');
        expect(body.digits, name).toBe('427');
        if (name.includes('stereo')) expect(body.input).toMatchObject({ sample_rate: 48000, channels: 2 });
      }

      const silence = (await (await upload(`${base}/transcribe`, 'file', silentWav(1), 'clip.wav')).json()) as Transcript;
      expect(silence).toMatchObject({ transcript: '', silent: true });

      const refusals: [string, Uint8Array, number, RegExp][] = [
        ['empty', new Uint8Array(0), 400, /empty/],
        ['wrong format', new TextEncoder().encode('<html>not audio</html>'.repeat(20)), 400, /could not decode/],
        ['too long', silentWav(25), 400, /at most 20 s/],
        ['too large', new Uint8Array(6 * 1024 * 1024), 413, /larger than 5 MB/],
      ];
      for (const [what, bytes, status, message] of refusals) {
        const response = await upload(`${base}/transcribe`, 'file', bytes, 'clip.wav');
        expect(response.status, what).toBe(status);
        expect(((await response.json()) as { error: string }).error, what).toMatch(message);
      }

      await withPage(async (page) => {
        await page.goto(base);
        await page.setInputFiles('#file', join(clips, 'clip.wav'));
        await page.click('#submit');
        await page.waitForSelector('#transcript');
        expect(await page.locator('#transcript').textContent()).toBe('four two seven');
        expect(await page.locator('#digits').textContent()).toBe('427');
        await page.screenshot({ path: join(REPO, 'docs/speech-page.png'), fullPage: true });

        await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not audio') });
        await page.click('#submit');
        await page.waitForSelector('#error');
        expect(await page.locator('#error').textContent()).toMatch(/could not decode/);
      });
    });
  });

  it('survives a hostile-input battery: no 5xx, JSON errors, no hangs, /health responsive, bounded memory', async () => {
    const report = await serving(project, (base) => expectSurvivesHostileInput(project, base, 'speech'));
    console.log(`speech hostile battery: ${JSON.stringify(report)}`);
  });

  it('has a workflow, Dockerfile and compose file that actionlint, shellcheck, hadolint and compose accept', async () => {
    await checkKit(project, { ci: true, docker: true });
  });
});

describe.sequential('speech with LSTM and pydub, tracking off', () => {
  let project = '';

  beforeAll(async () => {
    const cwd = freshDir('speech-lstm');
    await mlportfolio(cwd, 'speech', '--yes', '--rnn=lstm', '--audio=pydub', '--tracker=none', '--name=lstm-speech', '--skip-install');
    project = join(cwd, 'lstm-speech');
    await make(project, 'setup');
  });

  it('uses pydub and its own numpy mel filter bank instead of librosa', () => {
    const pyproject = readFileSync(join(project, 'pyproject.toml'), 'utf8');
    expect(pyproject).toMatch(/"pydub==[\d.]+"/);
    expect(pyproject).not.toMatch(/librosa|mlflow/);
    expect(Object.keys(tree(project))).toEqual(expect.arrayContaining(['src/lstm_speech/mel.py', 'tests/test_mel.py']));
  });

  it('passes lint and its tests, and trains an LSTM to CER <= 0.02 (the issue-14 bar)', async () => {
    await make(project, 'lint');
    const tested = await make(project, 'test');
    expectAllPassed(tested.all);
    const trained = await make(project, 'train');
    expect(trained.all).toMatch(/Training the LSTM model/);
    const summary = trainSummary(String(trained.all));
    console.log(`speech lstm+pydub: make train ${JSON.stringify(summary)}`);
    expect(summary.cer).toBeLessThanOrEqual(0.02);
    expect(summary.wer).toBeLessThanOrEqual(0.1);
    expect(summary.rtf).toBeLessThan(0.5);
    // Untracked, the README still gets this run's numbers, and says there is no run to open.
    const readme = readFileSync(join(project, 'README.md'), 'utf8');
    expect(readme).toContain('(not tracked, ');
    expect(readme).toContain(`| character error rate (CER) | ${summary.cer.toFixed(4)} |`);
    expect(readme).toContain('The LSTM model transcribes');
  });

  it('has a workflow and Dockerfile that actionlint, shellcheck and hadolint accept', async () => {
    await checkKit(project, { ci: true, docker: true });
  });
});
