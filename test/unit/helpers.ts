import { fileURLToPath } from 'node:url';
import helpers from 'yeoman-test';

export const generatorFile = (kind: string) =>
  fileURLToPath(new URL(`../../dist/generators/${kind}/index.js`, import.meta.url));

/** Runs a project generator in a temporary folder with no terminal, nothing installed. */
export function runProject(kind: string, options: Record<string, unknown> = {}) {
  return helpers.run(generatorFile(kind)).withOptions({ skipInstall: true, yes: true, ...options } as never);
}

/** path -> contents of every file the run wrote, relative to the project folder. */
export function writtenFiles(result: { getSnapshot(): Record<string, { contents: string | null }> }, folder: string) {
  const files: Record<string, string> = {};
  for (const [path, file] of Object.entries(result.getSnapshot())) {
    if (file.contents === null) continue;
    const normal = path.replace(/\\/g, '/');
    files[folder && normal.startsWith(`${folder}/`) ? normal.slice(folder.length + 1) : normal] = file.contents;
  }
  return files;
}
