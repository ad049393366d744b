/**
 * The bin in a real terminal (a pseudo-terminal, 80x24), driven by test/e2e/terminal.py: the
 * questions are asked, answered and aborted as a person would, and an abort writes nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, freshDir, REPO, run } from './support.js';

interface Screen {
  output: string;
  code: number | null;
  error?: string;
}

/** Runs the bin in a terminal; each step waits for a regex on screen, then types keys. */
async function inTerminal(cwd: string, args: string[], steps: [string, string][]): Promise<Screen> {
  const spec = { cmd: ['node', BIN, ...args], cwd, steps, timeout: 90 };
  const { stdout } = await run('python3', [join(REPO, 'test/e2e/terminal.py'), JSON.stringify(spec)], { cwd });
  return JSON.parse(stdout) as Screen;
}

describe('mlportfolio in a terminal', () => {
  it('asks every open question, takes typed and default answers, and writes the project', async () => {
    const cwd = freshDir('terminal/answer');
    // The name is typed; every later question (12 in all) takes its default with Enter; then the
    // summary is confirmed.
    const steps: [string, string][] = [
      ['Project name', 'my-forecast\r'],
      ...Array.from({ length: 11 }, (): [string, string] => ['\\? ', '\r']),
      ['Write \\d+ file\\(s\\) to ', '\r'],
    ];
    const screen = await inTerminal(cwd, ['timeseries', '--skip-install'], steps);
    expect(screen.error, screen.output).toBeUndefined();
    expect(screen.code, screen.output).toBe(0);
    expect(screen.output).toContain('Creating a timeseries project');
    expect(screen.output).toContain('Forecast horizon (months)');
    expect(screen.output).toMatch(/Summary:\s+name +my-forecast/);
    const stored = JSON.parse(readFileSync(join(cwd, 'my-forecast/.yo-rc.json'), 'utf8'))['generator-mlportfolio'];
    expect(stored).toMatchObject({ name: 'my-forecast', horizon: 24, tracker: 'mlflow' });
  });

  it('writes nothing when the summary is declined', async () => {
    const cwd = freshDir('terminal/decline');
    const steps: [string, string][] = [['Project name', 'declined\r'], ...Array.from({ length: 11 }, (): [string, string] => ['\\? ', '\r']), ['Write \\d+ file', 'n\r']];
    const screen = await inTerminal(cwd, ['timeseries', '--skip-install'], steps);
    expect(screen.code, screen.output).toBe(0);
    expect(screen.output).toContain('Nothing was written.');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('ends Ctrl-C during make setup in one line, with the files written and no half-built .venv', async () => {
    const cwd = freshDir('terminal/setup');
    // --yes asks nothing, even in a terminal; Ctrl-C arrives while setup installs.
    const screen = await inTerminal(cwd, ['timeseries', '--yes', '--name=stopped'], [['==> (uv pip install|.* -m pip install)', '\x03']]);
    expect(screen.code, screen.output).toBe(1);
    expect(screen.output.trim().split(/\r?\n/).at(-1)).toBe('mlportfolio: error: make setup was interrupted; the project files are written; finish with: cd stopped && make setup');
    expect(readdirSync(join(cwd, 'stopped'))).toContain('pyproject.toml');
    expect(existsSync(join(cwd, 'stopped/.venv'))).toBe(false);
  });

  it('stops at Ctrl-C on a question, says so truthfully and writes nothing', async () => {
    const cwd = freshDir('terminal/abort');
    const screen = await inTerminal(cwd, ['timeseries', '--skip-install'], [['Project name', 'aborted\r'], ['Description', '\x03']]);
    expect(screen.code, screen.output).toBe(130);
    expect(screen.output).toContain('mlportfolio: cancelled; nothing was written');
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(cwd, 'aborted'))).toBe(false);
  });
});
