/**
 * The one writer. Everything that puts files into a project (a first generation, a regeneration
 * with changed answers, an update to a newer generator) plans here: one decision per file
 * (core/decide.ts), all computed (merges included) before a single byte is written, then
 * written all at once. The plan is also what `--dry-run` prints and what `check` judges.
 */
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import { type Action, CHANGES, type Decision, decide, type Merge } from './decide.js';
import { UsageError } from './options.js';
import { CONFIG_FILE, sha256 } from './project-state.js';
import type { RenderedProject } from './render.js';

/** The parts of node:fs the writer uses, so its tests can run on memfs. */
export type FileSystem = Pick<
  typeof nodeFs,
  'readFileSync' | 'writeFileSync' | 'mkdirSync' | 'renameSync' | 'rmSync' | 'statSync' | 'readdirSync' | 'rmdirSync' | 'chmodSync'
>;

export interface PlanInput {
  /** The project folder. */
  readonly folder: string;
  /** The new render. */
  readonly theirs: RenderedProject;
  /** The manifest of the previous write (path -> sha256); empty for a new project. */
  readonly recorded: Readonly<Record<string, string>>;
  /** The bytes the generator wrote last time for a path, when they can be found. */
  readonly baseOf: (path: string, recorded: string) => Buffer | undefined;
  /** The new .yo-rc.json text, given the manifest the decisions leave behind. */
  readonly configFor: (manifest: Record<string, string>) => string;
  readonly force: boolean;
  readonly merge: Merge;
  readonly fs?: FileSystem;
}

export interface Plan {
  readonly folder: string;
  readonly decisions: readonly Decision[];
  readonly config: string;
  /** True when .yo-rc.json on disk differs from `config`. */
  readonly configChanged: boolean;
}

/** Reads a file, or undefined when there is no regular file at `path`. */
function readIfFile(fs: FileSystem, path: string): Buffer | undefined {
  try {
    return fs.statSync(path).isFile() ? fs.readFileSync(path) : undefined;
  } catch {
    return undefined;
  }
}

const MARKER = /^(<<<<<<< yours|>>>>>>> mlportfolio )/m;

/** Files of the manifest that still hold conflict markers from an earlier run. */
export function unresolvedConflicts(folder: string, recorded: Readonly<Record<string, string>>, fs: FileSystem = nodeFs): string[] {
  return Object.keys(recorded).filter((path) => {
    const ours = readIfFile(fs, join(folder, path));
    return ours !== undefined && MARKER.test(ours.toString('latin1'));
  });
}

export function planWrite(input: PlanInput): Plan {
  const fs = input.fs ?? nodeFs;
  const { folder, theirs, recorded } = input;
  const paths = [...new Set([...theirs.keys(), ...Object.keys(recorded)])].filter((path) => path !== CONFIG_FILE).sort();
  const decisions = paths.map((path) => {
    const ours = readIfFile(fs, join(folder, path));
    const hash = recorded[path];
    const next = theirs.get(path);
    // The previous render is needed only to merge a file that both sides changed.
    const needsBase = ours !== undefined && hash !== undefined && next !== undefined && sha256(ours) !== hash && sha256(next.contents) !== hash;
    const base = needsBase ? input.baseOf(path, hash) : undefined;
    return decide({ path, recorded: hash, base, ours, theirs: next }, { force: input.force, merge: input.merge });
  });
  const config = input.configFor(manifestOf(decisions));
  const onDisk = readIfFile(fs, join(folder, CONFIG_FILE));
  return { folder, decisions, config, configChanged: onDisk === undefined || onDisk.toString('utf8') !== config };
}

/** The decisions that change something on disk. */
export function changes(plan: Plan): Decision[] {
  return plan.decisions.filter((decision) => CHANGES.has(decision.action));
}

/** The manifest the plan leaves behind. */
export function manifestOf(decisions: readonly Decision[]): Record<string, string> {
  return Object.fromEntries(decisions.filter((d) => d.record !== undefined).map((d) => [d.path, d.record!]));
}

/**
 * Writes a plan: every new file goes to a temporary name beside its target first, and only when
 * all of them are written are they renamed into place (so a failure midway leaves the project as
 * it was); then deletions; .yo-rc.json last.
 */
export function applyPlan(plan: Plan, fs: FileSystem = nodeFs): void {
  const writes = plan.decisions.filter((d) => d.contents !== undefined);
  const staged: [string, string][] = [];
  try {
    for (const decision of writes) {
      const target = join(plan.folder, decision.path);
      fs.mkdirSync(dirname(target), { recursive: true });
      const temporary = `${target}.mlportfolio-new`;
      fs.writeFileSync(temporary, decision.contents!);
      if (decision.executable) fs.chmodSync(temporary, 0o755);
      staged.push([temporary, target]);
    }
    const config = join(plan.folder, CONFIG_FILE);
    fs.writeFileSync(`${config}.mlportfolio-new`, plan.config);
    staged.push([`${config}.mlportfolio-new`, config]);
  } catch (error) {
    for (const [temporary] of staged) fs.rmSync(temporary, { force: true });
    throw error;
  }
  const configStaged = staged.pop()!;
  for (const [temporary, target] of staged) fs.renameSync(temporary, target);
  for (const decision of plan.decisions.filter((d) => d.action === 'delete')) {
    const target = join(plan.folder, decision.path);
    fs.rmSync(target, { force: true });
    removeEmptyParents(fs, plan.folder, dirname(target));
  }
  fs.renameSync(...configStaged);
}

/** Removes folders a deletion left empty, up to (not including) the project folder. */
function removeEmptyParents(fs: FileSystem, root: string, dir: string): void {
  while (dir.length > root.length && dir.startsWith(root)) {
    if (fs.readdirSync(dir).length > 0) return;
    fs.rmdirSync(dir);
    dir = dirname(dir);
  }
}

const VERBS: Record<Action, string> = {
  unchanged: 'same',
  create: 'create',
  update: 'update',
  delete: 'delete',
  merge: 'merge',
  conflict: 'CONFLICT',
  overwrite: 'force',
  'keep-edited': 'keep',
  'keep-deleted': 'deleted',
  'keep-dropped': 'keep',
};

/** One line per decision (all of them, or only those that are not `unchanged`). */
export function describe(decisions: readonly Decision[], { all = false } = {}): string[] {
  return decisions
    .filter((d) => all || d.action !== 'unchanged')
    .map((d) => `  ${VERBS[d.action].padEnd(8)} ${d.path}${d.action === 'create' ? '' : `: ${d.reason}`}`);
}

/** Refuses to plan while conflict markers from an earlier run remain. */
export function refuseUnresolved(folder: string, recorded: Readonly<Record<string, string>>, fs?: FileSystem): void {
  const left = unresolvedConflicts(folder, recorded, fs);
  if (left.length > 0) {
    throw new UsageError(
      `conflict markers from an earlier run remain in ${left.join(', ')}; resolve them (look for "<<<<<<< yours"), then run again`,
    );
  }
}
