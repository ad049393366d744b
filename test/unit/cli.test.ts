import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
let cwd = '';

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mlportfolio-cli-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const mlportfolio = (...args: string[]) => execa('node', [BIN, ...args], { cwd, reject: false, stdin: 'ignore' });

describe('mlportfolio bin', () => {
  it.each([
    [['nope'], 'unknown project "nope"; choose one of: scraper, nlp, cv, speech, timeseries'],
    [[], 'no project given; choose one of: scraper, nlp, cv, speech, timeseries'],
    [['timeseries', '--name='], 'the project name is empty'],
    [['timeseries', '--name=my project'], '"my project" is not a valid project name'],
    [['timeseries', '--name=1st'], '"1st" is not a valid project name'],
    [['timeseries', '--name=lambda'], '"lambda" is a Python keyword'],
    [['timeseries', '--name=../up'], 'contains a path separator or ".."'],
    [['timeseries', '--name=a/b'], 'contains a path separator or ".."'],
    [['timeseries', '--tracker=comet'], 'invalid --tracker=comet: expected one of mlflow, wandb, none'],
    [['timeseries', '--license=GPL'], 'invalid --license=GPL: expected one of MIT, Apache-2.0, none'],
    [['timeseries', '--horizon=999'], 'invalid --horizon=999: expected a whole number from 1 to 60'],
    [['timeseries', '--docker=perhaps'], 'invalid --docker=perhaps: expected true or false'],
    [['timeseries', '--colour=blue'], 'unknown option --colour'],
    [['timeseries', 'one', 'two'], 'unexpected argument "two"; give one folder at most'],
  ])('%j fails with one clear line and writes nothing', async (args, message) => {
    const run = await mlportfolio(...args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('names a .yo-rc.json that is not JSON instead of failing deep inside yeoman', async () => {
    writeFileSync(join(cwd, '.yo-rc.json'), '{ not json');
    const run = await mlportfolio('timeseries', '--yes');
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/\.yo-rc\.json is not valid JSON .*; fix or remove it$/)]);
    expect(readdirSync(cwd)).toEqual(['.yo-rc.json']);
  });

  it('prints every option with its choices and default for --help', async () => {
    const run = await mlportfolio('timeseries', '--help');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('--tracker=<mlflow | wandb | none>');
    expect(run.stdout).toContain('--docker, --no-docker');
    expect(run.stdout).toContain('[default: mlflow]');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('writes ./<name> without a terminal; regenerating unchanged answers writes nothing', async () => {
    const first = await mlportfolio('timeseries', '--name=demo', '--skip-install');
    expect(first.exitCode, first.stderr).toBe(0);
    const project = join(cwd, 'demo');
    expect(readdirSync(project)).toContain('.yo-rc.json');
    const before = readFileSync(join(project, '.yo-rc.json'));
    const again = await execa('node', [BIN, 'timeseries', '--skip-install'], { cwd: project, reject: false, stdin: 'ignore' });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('demo is up to date.');
    expect(readFileSync(join(project, '.yo-rc.json'))).toEqual(before);
  });

  it('refuses a folder that already holds other files', async () => {
    await mlportfolio('timeseries', '--name=demo', '--skip-install');
    writeFileSync(join(cwd, 'demo', 'extra.txt'), 'x');
    rmSync(join(cwd, 'demo', '.yo-rc.json'));
    const before = readdirSync(join(cwd, 'demo')).sort();
    const run = await mlportfolio('timeseries', '--name=demo', '--skip-install');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('./demo already exists and holds');
    expect(readdirSync(join(cwd, 'demo')).sort()).toEqual(before);
  });
});
