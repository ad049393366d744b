/**
 * The git the writer needs (git is already a requirement of generated projects):
 * - `mergeFiles`: `git merge-file --diff3`, the three-way merge of one file;
 * - `findRecorded`: the bytes a manifest entry names, found in the project's git history;
 * - `recordRender`: keeps each render as a commit on the branch `mlportfolio-base`, so a later
 *   update finds the previous render even after a merge changed the files on the main branch.
 * Plain `spawnSync` calls: no work tree, index or HEAD of the user's repository is touched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './options.js';
import { sha256 } from './project-state.js';

/** The branch that holds the generator's renders (see docs/lifecycle.md). */
export const BASE_BRANCH = 'mlportfolio-base';

/** Labels of the conflict markers, so an unresolved conflict can be recognised later. */
export const MARKER_OURS = '<<<<<<< yours';
export const MARKER_THEIRS = '>>>>>>> mlportfolio';

/** Runs git; without git on PATH, `status` is null (so nothing is a repository). */
function git(cwd: string, args: readonly string[], input?: Buffer | string) {
  return spawnSync('git', args, { cwd, input, maxBuffer: 256 * 1024 * 1024 });
}

/** Three-way merge with diff3-style markers; `conflicts` is git merge-file's count. */
export function mergeFiles(base: Buffer, ours: Buffer, theirs: Buffer, version: string): { contents: Buffer; conflicts: number } {
  const dir = mkdtempSync(join(tmpdir(), 'mlportfolio-merge-'));
  try {
    const [o, b, t] = ['ours', 'base', 'theirs'].map((name) => join(dir, name)) as [string, string, string];
    writeFileSync(o, ours);
    writeFileSync(b, base);
    writeFileSync(t, theirs);
    const labels = ['-L', 'yours', '-L', 'previous render', '-L', `mlportfolio ${version}`];
    const result = git(dir, ['merge-file', '-p', '--diff3', ...labels, o, b, t]);
    if (result.error) {
      throw new UsageError(`git is needed to merge your edits (${result.error.message}); install git and run again`);
    }
    if (result.status === null || result.status < 0 || result.status > 127) {
      throw new Error(`git merge-file failed: ${result.stderr.toString()}`);
    }
    return { contents: result.stdout, conflicts: result.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when `folder` is inside a git work tree that tracks it (not an ignored folder). */
export function isTrackedRepository(folder: string): boolean {
  if (!existsSync(folder)) return false;
  const inside = git(folder, ['rev-parse', '--is-inside-work-tree']);
  if (inside.status !== 0 || inside.stdout.toString().trim() !== 'true') return false;
  return git(folder, ['check-ignore', '-q', '.']).status !== 0;
}

/**
 * Bytes of `path` (relative to `folder`) that hash to `recorded`, from any commit of any branch
 * (the user's history, or mlportfolio-base); undefined when git has no such version.
 */
export function findRecorded(folder: string, path: string, recorded: string): Buffer | undefined {
  if (!isTrackedRepository(folder)) return undefined;
  const log = git(folder, ['log', '--all', '--format=', '--raw', '--no-abbrev', '--no-renames', '--', path]);
  if (log.status !== 0) return undefined;
  const blobs = new Set<string>();
  for (const line of log.stdout.toString().split('\n')) {
    const blob = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) [AM]/.exec(line)?.[1];
    if (blob) blobs.add(blob);
  }
  for (const blob of blobs) {
    const shown = git(folder, ['cat-file', 'blob', blob]);
    if (shown.status === 0 && sha256(shown.stdout) === recorded) return shown.stdout;
  }
  return undefined;
}

/** True when the repository holding `folder` has the mlportfolio-base branch (or is no repository). */
export function hasRecordedRenders(folder: string): boolean {
  if (!isTrackedRepository(folder)) return true;
  return git(folder, ['rev-parse', '--verify', '--quiet', `refs/heads/${BASE_BRANCH}`]).status === 0;
}

/**
 * Commits exactly these files (the generator's render, .yo-rc.json included) as the new tip of
 * mlportfolio-base, at the project's place in the repository, with `git fast-import`. Does
 * nothing outside a git repository.
 */
export function recordRender(folder: string, files: ReadonlyMap<string, { contents: Buffer; executable: boolean }>, message: string): void {
  if (!isTrackedRepository(folder)) return;
  const prefix = git(folder, ['rev-parse', '--show-prefix']).stdout.toString().trim();
  const ref = `refs/heads/${BASE_BRANCH}`;
  const exists = git(folder, ['rev-parse', '--verify', '--quiet', ref]).status === 0;
  const chunks: Buffer[] = [];
  const text = (line: string) => chunks.push(Buffer.from(line));
  const data = (bytes: Buffer) => {
    text(`data ${bytes.length}\n`);
    chunks.push(bytes);
    text('\n');
  };
  text(`commit ${ref}\ncommitter mlportfolio <mlportfolio@localhost> ${Math.floor(Date.now() / 1000)} +0000\n`);
  data(Buffer.from(message));
  if (exists) text(`from ${ref}^0\n`);
  // Only this project's folder is replaced; the rest of the branch's tree (other projects in the
  // same repository) is left as it was.
  text(prefix ? `D ${prefix.replace(/\/$/, '')}\n` : 'deleteall\n');
  for (const [path, file] of files) {
    text(`M ${file.executable ? '100755' : '100644'} inline ${prefix}${path}\n`);
    data(file.contents);
  }
  const imported = git(folder, ['fast-import', '--quiet'], Buffer.concat(chunks));
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr.toString()}`);
}
