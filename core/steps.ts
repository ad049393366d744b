/** The closing message after a new project is written: what to run next, from where. */
import { relative } from 'node:path';
import { isTrackedRepository } from './git.js';
import { toPackageName } from './options.js';

export function nextStepsText(name: string, folder: string, cwd: string, skippedInstall: boolean, platform = process.platform): string {
  const where = relative(cwd, folder) || '.';
  const pkg = toPackageName(name);
  const windows = platform === 'win32';
  const steps = [
    where === '.' ? undefined : `cd ${where}`,
    // A repository from the start: the first commit is the generator's render, which is what a
    // later `mlportfolio update` merges your edits against.
    isTrackedRepository(folder) ? undefined : 'git init && git add -A && git commit -m "Generated with generator-mlportfolio"',
    skippedInstall ? (windows ? 'powershell -ExecutionPolicy Bypass -File scripts\\setup.ps1' : 'make setup') : undefined,
    windows ? '.venv\\Scripts\\python -m pytest' : 'make test',
    windows ? `.venv\\Scripts\\python -m ${pkg} train` : 'make train',
    windows ? `.venv\\Scripts\\python -m ${pkg} serve` : 'make serve',
  ];
  return `\n${name} is ready. Next:\n  ${steps.filter(Boolean).join('\n  ')}\n`;
}
