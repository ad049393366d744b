/**
 * Rendering as a pure step: (definition, answers) -> { path: bytes }. No project folder is read
 * or written and Yeoman is not involved; only this package's own templates are read. Everything
 * that writes a project (the bin, `yo mlportfolio:<kind>`, regenerate, update, check and the
 * tests) gets its files from `renderProject`.
 */
import { readFileSync, statSync } from 'node:fs';
import ejs from 'ejs';
import { type ProjectDefinition, schemaOf } from './definition.js';
import { type Answers, type ChoiceSpec, toPackageName, toTitle } from './options.js';
import { fragmentSources, pinnedRequirements, planFiles, type PlannedFile, pythonVersions } from './templates.js';

/** One rendered file: its bytes, and whether it is executable (scripts/setup.sh). */
export interface RenderedFile {
  readonly contents: Buffer;
  readonly executable: boolean;
}

/** Output path (forward slashes, relative to the project root) -> file, in a stable order. */
export type RenderedProject = ReadonlyMap<string, RenderedFile>;

/** The requirement groups of one set of answers. */
export function requirementGroups(definition: ProjectDefinition, answers: Answers): readonly string[] {
  return definition.requirements(answers as never);
}

/** What a project's templates see; see docs/architecture.md. */
export function templateContext(definition: ProjectDefinition, answers: Answers): Record<string, unknown> {
  const name = String(answers.name);
  const deps = pinnedRequirements(...requirementGroups(definition, answers), String(answers.tracker));
  // PyTorch's own packages among them: on Linux they come from the PyTorch wheel index that
  // pyproject.toml names (CPU builds); see docs/architecture.md.
  const torchPins = deps.map((d) => /^(torch|torchvision)==([^;\s]+)$/.exec(d)).filter((m) => m !== null);
  const context: Record<string, unknown> = {
    ...answers,
    project: definition.kind,
    pkg: toPackageName(name),
    title: toTitle(name),
    deps,
    /** `['torch', 'torchvision']`, `['torch']` or `[]`. */
    torchPackages: torchPins.map((m) => m[1]),
    /** The pinned torch version, or '' when the project has no torch. */
    torchVersion: torchPins.find((m) => m[1] === 'torch')?.[2] ?? '',
    devDeps: pinnedRequirements('dev'),
    /** Every pinned version by package name, for files that name one (compose's MLflow image, pre-commit's ruff). */
    versions: pythonVersions().versions,
    /** A TOML basic string (a JSON string is one): for free text such as the description. */
    toml: (text: string) => JSON.stringify(text),
  };
  // The Pythons the projects claim: the choices of --python. pyproject's requires-python and the CI
  // matrix (lowest, chosen, highest) come from them, so the three never disagree.
  const pythons = (schemaOf(definition).find((spec) => spec.name === 'python') as ChoiceSpec).choices.map((choice) => choice.value);
  const highest = pythons.at(-1)!;
  context.requiresPython = `>=${pythons[0]},<${highest.split('.')[0]}.${Number(highest.split('.')[1]) + 1}`;
  context.pythonRange = `${pythons[0]} to ${highest}`;
  context.ciPythons = [...new Set([pythons[0]!, String(answers.python), highest])].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  /** How a README names the tracker (in the architecture diagram). */
  context.trackerName = ({ mlflow: 'MLflow', wandb: 'W&B', none: 'no tracking' } as Record<string, string>)[String(answers.tracker)] ?? String(answers.tracker);
  // The README's results section before the first `make train` (src/<pkg>/report.py rewrites
  // what lies between the markers from the run).
  context.results = [
    '<!-- results:start -->',
    'No results yet: `make train` fills this section from your own run, with its scores against the',
    'baseline, its figures, the run id, the hardware it ran on and the git commit.',
    '<!-- results:end -->',
  ].join('\n');
  const sources = fragmentSources(definition.kind);
  context.fragments = {
    makefile: renderOptional(sources.makefile, context),
    readme: renderOptional(sources.readme, context),
    ci: renderOptional(sources.ci, context),
  };
  return context;
}

/**
 * EJS without HTML escaping: templates render Python, TOML, YAML and Markdown, where `&#34;` would be
 * a bug. Values that need quoting for a format get it explicitly (`toml(...)`).
 */
function renderText(template: string, context: Record<string, unknown>, filename: string): string {
  return ejs.render(template, context, { filename, escape: String });
}

/** A fragment: rendered when it ends in `.ejs`, read as it is otherwise, empty when missing. */
function renderOptional(path: string, context: Record<string, unknown>): string {
  for (const candidate of [path, `${path}.ejs`]) {
    let text: string;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch {
      continue;
    }
    return candidate.endsWith('.ejs') ? renderText(text, context, candidate) : text;
  }
  return '';
}

/** The template files one set of answers selects, in a stable order. */
export function planFor(definition: ProjectDefinition, answers: Answers): PlannedFile[] {
  const planned = planFiles(definition.kind, {
    project: definition.kind,
    pkg: toPackageName(String(answers.name)),
    tracker: String(answers.tracker),
    license: String(answers.license),
    docker: Boolean(answers.docker),
    ci: Boolean(answers.ci),
    updates: Boolean(answers.updates),
  });
  const include = definition.include?.bind(definition);
  return include ? planned.filter((file) => file.own !== true || include(file.target, answers as never)) : planned;
}

/** Every file of the project for these (complete, validated) answers, except .yo-rc.json. */
export function renderProject(definition: ProjectDefinition, answers: Answers): RenderedProject {
  const context = templateContext(definition, answers);
  const files = new Map<string, RenderedFile>();
  for (const file of planFor(definition, answers)) {
    const contents = file.render
      ? Buffer.from(renderText(readFileSync(file.source, 'utf8'), context, file.source))
      : readFileSync(file.source);
    files.set(file.target, { contents, executable: (statSync(file.source).mode & 0o111) !== 0 });
  }
  return files;
}
