/**
 * Generate, regenerate, update and check: the steps every entry point (the bin, the Yeoman
 * generators, the tests) takes, in order. Rendering is pure (core/render.ts); deciding and
 * writing are the writer's (core/writer.ts); this module finds the project, settles the answers
 * and reports.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { settledAnswers, withDefaults } from './answers.js';
import { type ProjectDefinition, schemaOf } from './definition.js';
import { findRecorded, hasRecordedRenders, mergeFiles, recordRender } from './git.js';
import { type Answers, coerce, type OptionSpec, UsageError } from './options.js';
import { CONFIG_FILE, configText, GENERATOR_VERSION, type ProjectState, readProjectState, sha256 } from './project-state.js';
import { type RenderedProject, renderProject } from './render.js';
import { applyPlan, changes, describe, type Plan, planWrite, refuseUnresolved } from './writer.js';

/** Conflicts were written with markers: the run wrote everything it could, and exits 1. */
export class ConflictError extends UsageError {
  override name = 'ConflictError';
}

/** Where a run writes, and what it starts from. */
export interface Start {
  readonly definition: ProjectDefinition;
  readonly schema: readonly OptionSpec[];
  /** Flags and stored answers, checked; unanswered options are still missing. */
  readonly answers: Answers;
  /** The project folder when regenerating (the current folder holds our .yo-rc.json). */
  readonly regenerating?: string;
  readonly previous?: ProjectState;
}

/**
 * Reads the current folder's .yo-rc.json (regeneration when it is ours) and checks the flags
 * against the schema and the stored answers: one UsageError for anything wrong, before any
 * question is asked or any file is read.
 */
export function start(definition: ProjectDefinition, cwd: string, flags: Readonly<Record<string, unknown>>): Start {
  const previous = readProjectState(cwd);
  if (previous?.kind !== undefined && previous.kind !== definition.kind) {
    throw new UsageError(
      `${join(cwd, CONFIG_FILE)} belongs to a "${previous.kind}" project; run mlportfolio ${previous.kind} here, or generate ${definition.kind} in another folder`,
    );
  }
  const schema = schemaOf(definition);
  const answers = settledAnswers(schema, flags, previous?.answers);
  if (previous?.answers.name !== undefined && answers.name !== previous.answers.name) {
    throw new UsageError(
      `--name=${String(answers.name)} differs from "${String(previous.answers.name)}" stored in ${CONFIG_FILE}; a project cannot be renamed by regenerating`,
    );
  }
  if (previous) refuseUnresolved(cwd, previous.files ?? {});
  return { definition, schema, answers, regenerating: previous ? cwd : undefined, previous };
}

/**
 * The folder a new project goes to: the one given (`mlportfolio cv ../demos/cv`), else ./<name>;
 * refused when it holds files, unless --force.
 */
export function targetFolder(startState: Start, cwd: string, name: string, force: boolean, given?: string): string {
  if (startState.regenerating) {
    if (given !== undefined) throw new UsageError(`this folder already holds a ${startState.definition.kind} project; regenerate it without a folder argument, or run from another folder`);
    return startState.regenerating;
  }
  const folder = resolve(cwd, given ?? name);
  const shown = given ?? `./${name}`;
  let entries: string[] = [];
  try {
    entries = readdirSync(folder);
  } catch {
    return folder;
  }
  if (entries.length > 0 && !force) {
    throw new UsageError(
      `${shown} already exists and holds ${entries.length} file(s) (${entries.slice(0, 3).join(', ')}); choose another ${given === undefined ? '--name' : 'folder'}, remove it, or pass --force to write into it`,
    );
  }
  return folder;
}

/** The previous answers, complete and valid for this generator, when they are. */
function previousAnswers(schema: readonly OptionSpec[], previous: ProjectState): Answers | undefined {
  try {
    const answers: Answers = {};
    for (const spec of schema) {
      if (previous.answers[spec.name] !== undefined) answers[spec.name] = coerce(spec, previous.answers[spec.name], spec.name);
    }
    return withDefaults(schema, answers);
  } catch {
    return undefined;
  }
}

/** A plan and the render it writes. */
export interface Planned {
  readonly plan: Plan;
  readonly theirs: RenderedProject;
}

/** Plans writing the project for `answers` into `folder`: nothing is written yet. */
export function plan(startState: Start, folder: string, answers: Answers, force: boolean): Planned {
  const { definition, schema, previous } = startState;
  const theirs = renderProject(definition, answers);
  // The previous render by this generator: the base for a merge when it is still the same bytes
  // as those recorded (same generator, answers changed); otherwise git may have them.
  let rerendered: RenderedProject | undefined;
  const previousRender = () => {
    if (rerendered === undefined && previous) {
      const old = previousAnswers(schema, previous);
      rerendered = old ? renderProject(definition, old) : new Map();
    }
    return rerendered ?? new Map();
  };
  let recorded: Record<string, string> = { ...(previous?.files ?? {}) };
  if (previous && previous.files === undefined) {
    // Written before manifests existed (0.1.0): take the files that are on disk as rendered by
    // this generator from the stored answers, so unedited ones update and edited ones merge.
    recorded = Object.fromEntries(
      [...previousRender()].filter(([path]) => isFile(join(folder, path))).map(([path, file]) => [path, sha256(file.contents)]),
    );
  }
  const baseOf = (path: string, hash: string) => {
    const candidate = previousRender().get(path)?.contents;
    if (candidate && sha256(candidate) === hash) return candidate;
    return findRecorded(folder, path, hash);
  };
  const result = planWrite({
    folder,
    theirs,
    recorded,
    baseOf,
    force,
    merge: (base, ours, next) => mergeFiles(base, ours, next, GENERATOR_VERSION),
    configFor: (manifest) => configText(definition.kind, schema, answers, manifest),
  });
  return { plan: result, theirs };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface WriteOutcome {
  readonly lines: string[];
  readonly conflicts: string[];
  readonly written: number;
}

/** Applies a plan, keeps the render on mlportfolio-base when the project is in git, and reports. */
export function write(result: Planned, config: { newProject: boolean }): WriteOutcome {
  const { plan: planned, theirs } = result;
  const changed = changes(planned);
  const wrote = changed.length > 0 || planned.configChanged;
  if (wrote) applyPlan(planned);
  if (wrote || !hasRecordedRenders(planned.folder)) {
    const render = new Map(theirs);
    render.set(CONFIG_FILE, { contents: Buffer.from(planned.config), executable: false });
    recordRender(planned.folder, render, `mlportfolio ${GENERATOR_VERSION}: what the generator rendered`);
  }
  const conflicts = planned.decisions.filter((d) => d.action === 'conflict').map((d) => d.path);
  return { lines: config.newProject ? [] : describe(planned.decisions), conflicts, written: changed.length };
}

/** The one-line verdict on conflicts, thrown after everything else was written. */
export function conflictError(conflicts: readonly string[]): ConflictError {
  return new ConflictError(
    `${conflicts.length} file(s) have conflicts, written with markers: ${conflicts.join(', ')}; resolve them (look for "<<<<<<< yours"), then run again`,
  );
}
