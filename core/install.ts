/**
 * The install step after writing: `make setup` (or scripts/setup.ps1 on Windows) in the project,
 * with its output shown. A failure is one line that says what failed, that the files are written,
 * and the command that finishes the job.
 */
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { UsageError } from './options.js';

export async function runSetup(folder: string, cwd: string): Promise<void> {
  const windows = process.platform === 'win32';
  const [command, args] = windows
    ? ['powershell', ['-ExecutionPolicy', 'Bypass', '-File', 'scripts/setup.ps1']]
    : ['make', ['setup']];
  const shown = `${command} ${args.join(' ')}`;
  const where = relative(cwd, folder) || '.';
  const finish = where === '.' ? shown : `cd ${where} && ${shown}`;
  process.stderr.write(`\nSetting up: ${shown}\n`);
  // Ctrl-C reaches make through the terminal; we stay alive to say what is left to do.
  let interrupted = false;
  const ignore = () => {
    interrupted = true;
  };
  process.on('SIGINT', ignore);
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
    const child = spawn(command, args, { cwd: folder, stdio: 'inherit' });
    child.on('error', (error) => done({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => done({ code, signal }));
  }).finally(() => process.off('SIGINT', ignore));
  if (outcome.error) {
    const missing = (outcome.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UsageError(
      `${missing ? `${command} is not installed` : `${shown} could not start (${outcome.error.message})`}; the project files are written; install it, then finish with: ${finish}`,
    );
  }
  if (outcome.code !== 0) {
    const how = interrupted ? 'was interrupted' : outcome.signal ? `was stopped (${outcome.signal})` : `failed (exit ${String(outcome.code)})`;
    throw new UsageError(`${shown} ${how}; the project files are written; finish with: ${finish}`);
  }
}
