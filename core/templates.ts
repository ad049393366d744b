/**
 * Where templates live and how a template path becomes an output path.
 * Rules (docs/architecture.md): `.ejs` files are rendered and lose the suffix, everything else is
 * copied byte for byte; `dot_x` -> `.x`; the path segment `__package__` -> the Python package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** templates/ at the package root (this file is core/templates.ts or dist/core/templates.js). */
export const TEMPLATES_ROOT = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = basename(dirname(here)) === 'dist' ? '../..' : '..';
  return resolve(here, up, 'templates');
})();

export interface PlannedFile {
  /** Absolute template path. */
  readonly source: string;
  /** Output path relative to the project root, with forward slashes. */
  readonly target: string;
  /** Rendered with EJS (the template ends in `.ejs`). */
  readonly render: boolean;
  /** From templates/<project> rather than the common kit. */
  readonly own?: boolean;
}

/** The values that decide which kit files a project gets. */
export interface KitChoices {
  /** The project kind, e.g. "scraper". */
  readonly project: string;
  readonly pkg: string;
  readonly tracker: string;
  readonly license: string;
  readonly docker: boolean;
  readonly ci: boolean;
  readonly updates: boolean;
}

/** Every file under `dir`, relative, with forward slashes, sorted so output order is stable. */
export function listTemplateFiles(dir: string): string[] {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => posix.join(...join(entry.parentPath, entry.name).slice(dir.length + 1).split(/[\\/]/)))
    .sort();
}

export function targetPath(relative: string, pkg: string): string {
  return relative
    .split('/')
    .map((segment) => (segment === '__package__' ? pkg : segment.replace(/^dot_/, '.')))
    .join('/')
    .replace(/\.ejs$/, '');
}

/** The random-forest studies (forest.py and its test) go to the projects that learn from a table. */
const FOREST_PROJECTS = ['scraper', 'timeseries'];
const FOREST_KIT = ['src/__package__/forest.py', 'tests/test_forest.py.ejs'];

/** Whether a kit file is meant for this kind of project at all (most are for every kind). */
export function kitFileIsFor(relative: string, project: string): boolean {
  return !FOREST_KIT.includes(relative) || FOREST_PROJECTS.includes(project);
}

/**
 * Maps a kit (templates/common) file to its output path, or undefined when these choices leave it
 * out. This is the one place that knows which kit files depend on which answers.
 */
export function kitTarget(relative: string, choices: KitChoices): string | undefined {
  const [top, rest] = [relative.split('/')[0], relative.split('/').slice(1).join('/')];
  if (!kitFileIsFor(relative, choices.project)) return undefined;
  if (top === 'tracking') return rest === `${choices.tracker}.py` ? `src/${choices.pkg}/tracking.py` : undefined;
  if (top === 'licenses') return rest === `${choices.license}.ejs` ? 'LICENSE' : undefined;
  const target = targetPath(relative, choices.pkg);
  if (['Dockerfile', '.dockerignore', 'docker-compose.yml'].includes(target)) return choices.docker ? target : undefined;
  if (target === '.github/workflows/update.yml') return choices.ci && choices.updates ? target : undefined;
  if (target.startsWith('.github/')) return choices.ci ? target : undefined;
  return target;
}

/** The full file plan: the common kit, then the project's own files (except its fragments/). */
export function planFiles(project: string, choices: KitChoices): PlannedFile[] {
  const planned: PlannedFile[] = [];
  const common = join(TEMPLATES_ROOT, 'common');
  for (const relative of listTemplateFiles(common)) {
    const target = kitTarget(relative, choices);
    if (target) planned.push({ source: join(common, relative), target, render: relative.endsWith('.ejs') });
  }
  const own = join(TEMPLATES_ROOT, project);
  for (const relative of listTemplateFiles(own)) {
    if (relative.startsWith('fragments/')) continue;
    // logged_model.py tells MLflow's pyfunc how to load and call the saved model: MLflow only.
    if (relative === 'src/__package__/logged_model.py' && choices.tracker !== 'mlflow') continue;
    const target = targetPath(relative, choices.pkg);
    if (planned.some((file) => file.target === target)) {
      throw new Error(`templates/${project}/${relative} would overwrite the kit's ${target}; rename one of them`);
    }
    planned.push({ source: join(own, relative), target, render: relative.endsWith('.ejs'), own: true });
  }
  return planned;
}

/**
 * Fragment templates a project inlines into kit files: fragments/Makefile.mk (targets),
 * fragments/README.md.ejs (the project's story) and fragments/ci.yml (keys of the CI test job,
 * such as `services:` and `env:`, indented for the job).
 */
export function fragmentSources(project: string): { makefile: string; readme: string; ci: string } {
  const dir = join(TEMPLATES_ROOT, project, 'fragments');
  return { makefile: join(dir, 'Makefile.mk'), readme: join(dir, 'README.md.ejs'), ci: join(dir, 'ci.yml') };
}

interface VersionManifest {
  /**
   * The pin of each package: one version, or a version per environment marker when no single
   * release installs on every Python the projects claim (sqlalchemy 2.1 needs Python 3.11).
   */
  readonly versions: Record<string, string | Record<string, string>>;
  readonly requirements: Record<string, readonly string[]>;
}

let manifest: VersionManifest | undefined;

/** templates/python-versions.json, read once. */
export function pythonVersions(): VersionManifest {
  manifest ??= JSON.parse(readFileSync(join(TEMPLATES_ROOT, 'python-versions.json'), 'utf8')) as VersionManifest;
  return manifest;
}

/**
 * `name==version` for each package of the given groups of templates/python-versions.json. An entry
 * that already says `name==version` keeps its own pin (a group that needs another release, such as
 * the torch that matches torchvision).
 */
export function pinnedRequirements(...groups: string[]): string[] {
  const { versions, requirements } = pythonVersions();
  return groups.flatMap((group) => {
    const names = requirements[group];
    if (!names) throw new Error(`templates/python-versions.json has no requirements group "${group}"`);
    return names.flatMap((entry) => {
      // `name; marker` keeps its environment marker (tensorflow-cpu only where it has wheels).
      const [name, marker] = entry.split(/\s*;\s*/, 2) as [string, string | undefined];
      if (name.includes('==')) return [entry];
      const version = versions[name.replace(/\[.*\]$/, '')];
      if (!version) throw new Error(`templates/python-versions.json pins no version for "${name}"`);
      const pins = typeof version === 'string' ? [[marker, version] as const] : Object.entries(version).map(([m, v]) => [marker ? `(${marker}) and (${m})` : m, v] as const);
      return pins.map(([m, pinned]) => (m ? `${name}==${pinned}; ${m}` : `${name}==${pinned}`));
    });
  });
}
