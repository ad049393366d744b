/** The closing message after a new project is written: what to run next, from where. */
import { relative } from 'node:path';

export function nextStepsText(name: string, folder: string, cwd: string, skippedInstall: boolean): string {
  const where = relative(cwd, folder) || '.';
  const steps = [where === '.' ? undefined : `cd ${where}`, skippedInstall ? 'make setup' : undefined, 'make test', 'make train', 'make serve'];
  return `\n${name} is ready. Next:\n  ${steps.filter(Boolean).join('\n  ')}\n`;
}
