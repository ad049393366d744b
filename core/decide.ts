/**
 * The per-file decision of regenerate and update, as a pure function. For each path the writer
 * knows up to three versions: `base` (what the generator wrote last time, recorded in the
 * manifest as a sha256), `ours` (the file on disk now, the user's) and `theirs` (the new render).
 * A file whose bytes still hash to the manifest entry is the generator's and simply follows the
 * new render; an edited one is merged three ways; nothing the user wrote is dropped silently.
 */
import { sha256 } from './project-state.js';
import type { RenderedFile } from './render.js';

export interface FileSides {
  readonly path: string;
  /** sha256 the manifest records for the path; undefined when the generator never wrote it. */
  readonly recorded?: string;
  /** The previous render's bytes, when they could be found (they hash to `recorded`). */
  readonly base?: Buffer;
  /** The file on disk, when there is one. */
  readonly ours?: Buffer;
  /** The new render, when these answers and this generator still produce the path. */
  readonly theirs?: RenderedFile;
}

export type Action =
  | 'unchanged'
  | 'create'
  | 'update'
  | 'delete'
  | 'merge'
  | 'conflict'
  | 'overwrite'
  | 'keep-edited'
  | 'keep-deleted'
  | 'keep-dropped';

export interface Decision {
  readonly path: string;
  readonly action: Action;
  /** One line for the report: why this action. */
  readonly reason: string;
  /** Bytes to write (create, update, merge, conflict, overwrite). */
  readonly contents?: Buffer;
  readonly executable?: boolean;
  /** sha256 to record in the new manifest: the new render's; undefined drops the path. */
  readonly record?: string;
}

/** Three-way merge of bytes: the merged text and how many conflicts it holds (markers written). */
export type Merge = (base: Buffer, ours: Buffer, theirs: Buffer) => { contents: Buffer; conflicts: number };

/** Actions that change the project on disk (what `check` reports and `--dry-run` announces). */
export const CHANGES: ReadonlySet<Action> = new Set(['create', 'update', 'delete', 'merge', 'conflict', 'overwrite']);

export function decide(sides: FileSides, options: { readonly force: boolean; readonly merge: Merge }): Decision {
  const { path, recorded, base, ours, theirs } = sides;
  const edited = ours !== undefined && recorded !== undefined && sha256(ours) !== recorded;
  const write = (action: Action, reason: string, contents = theirs!.contents): Decision => ({
    path,
    action,
    reason,
    contents,
    executable: theirs!.executable,
    record: sha256(theirs!.contents),
  });

  if (theirs === undefined) {
    if (ours === undefined || recorded === undefined) return { path, action: 'unchanged', reason: 'not generated and not on disk' };
    if (!edited) return { path, action: 'delete', reason: 'no longer generated, and you had not edited it' };
    return { path, action: 'keep-dropped', reason: 'no longer generated, but you edited it: kept, and it is yours now' };
  }
  const keep = (action: Action, reason: string): Decision => ({ path, action, reason, record: sha256(theirs.contents) });

  if (ours === undefined) {
    if (recorded === undefined) return write('create', 'new file');
    if (options.force) return write('overwrite', 'you had deleted it; restored because of --force');
    const changed = sha256(theirs.contents) !== recorded ? 'the generator changed it' : 'the generator did not change it';
    return keep('keep-deleted', `you deleted it, so it stays deleted (${changed})`);
  }
  if (ours.equals(theirs.contents)) return keep('unchanged', 'up to date');
  if (recorded === undefined) {
    if (options.force) return write('overwrite', 'you had a file of that name; replaced because of --force');
    const merged = options.merge(Buffer.alloc(0), ours, theirs.contents);
    return write('conflict', 'new in the generator, but you already have a file of that name: both kept between conflict markers', merged.contents);
  }
  if (!edited) return write('update', 'updated (you had not edited it)');
  if (sha256(theirs.contents) === recorded) return keep('keep-edited', 'your edits kept (the generator did not change it)');
  if (options.force) return write('overwrite', 'you had edited it; your edits were replaced because of --force');
  if (base === undefined) {
    const merged = options.merge(Buffer.alloc(0), ours, theirs.contents);
    return write('conflict', 'you edited it and the generator changed it, but its previous version could not be found to merge from', merged.contents);
  }
  const merged = options.merge(base, ours, theirs.contents);
  if (merged.conflicts > 0) {
    return write('conflict', `your edits and the generator's changes overlap: ${merged.conflicts} conflict(s) marked`, merged.contents);
  }
  return write('merge', "your edits and the generator's changes merged cleanly", merged.contents);
}
