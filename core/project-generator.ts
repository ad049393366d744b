/**
 * The one base generator behind every project. A project supplies a definition (its schema, a
 * summary, defaults and which of its files depend on answers); this turns it into flags,
 * prompts, validation, the stored answers in .yo-rc.json, --help, the rendered files and the
 * install step.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ejs from 'ejs';
import { execa } from 'execa';
import Generator from 'yeoman-generator';
import {
  type Answers,
  coerce,
  commonOptions,
  helpText,
  type OptionSpec,
  toPackageName,
  toTitle,
  UsageError,
} from './options.js';
import { fragmentSources, pinnedRequirements, planFiles, type PlannedFile, pythonVersions } from './templates.js';

/** Key of our answers in .yo-rc.json (yeoman's convention: the generator's package name). */
export const CONFIG_KEY = 'generator-mlportfolio';

export interface ProjectDefinition {
  /** Project kind, also the sub-generator and templates/<kind> folder name. */
  readonly kind: string;
  /** One line for --help, docs and the project picker. */
  readonly summary: string;
  readonly defaultName: string;
  readonly defaultDescription: string;
  /** The project's own options, after the common ones. */
  readonly options: readonly OptionSpec[];
  /**
   * Groups of templates/python-versions.json the project depends on at run time; a function when
   * an answer picks a library (e.g. scraper's requests or Scrapy).
   */
  readonly requirements: readonly string[] | ((answers: Answers) => readonly string[]);
  /**
   * Which of the project's own files (output paths) these answers keep; all when absent. The one
   * place a project says that a file exists only for some answers (e.g. the Scrapy spider).
   */
  readonly include?: (target: string, answers: Answers) => boolean;
}

/** The requirement groups of one set of answers. */
export function requirementGroups(definition: ProjectDefinition, answers: Answers): readonly string[] {
  const { requirements } = definition;
  return typeof requirements === 'function' ? requirements(answers) : requirements;
}

/** Common options followed by the project's own: the full schema of one generator. */
export function schemaOf(definition: ProjectDefinition): readonly OptionSpec[] {
  return [...commonOptions(definition.defaultName, definition.defaultDescription), ...definition.options];
}

/** What a project's templates see; see docs/architecture.md. */
export function templateContext(definition: ProjectDefinition, answers: Answers): Record<string, unknown> {
  const name = String(answers.name);
  const tracker = String(answers.tracker);
  const context: Record<string, unknown> = {
    ...answers,
    project: definition.kind,
    pkg: toPackageName(name),
    title: toTitle(name),
    deps: pinnedRequirements(...requirementGroups(definition, answers), tracker),
    devDeps: pinnedRequirements('dev'),
    /** Every pinned version by package name, for files that name one (compose's MLflow image, pre-commit's ruff). */
    versions: pythonVersions().versions,
    /** A TOML basic string (a JSON string is one): for free text such as the description. */
    toml: (text: string) => JSON.stringify(text),
  };
  const sources = fragmentSources(definition.kind);
  context.fragments = {
    makefile: renderFile(sources.makefile, context),
    readme: renderFile(sources.readme, context),
    ci: renderFile(sources.ci, context),
  };
  return context;
}

/**
 * EJS without HTML escaping: templates render Python, TOML, YAML and Markdown, where `&#34;` would be
 * a bug. Values that need quoting for a format get it explicitly (`toml(...)`).
 */
function render(template: string, context: Record<string, unknown>, filename: string): string {
  return ejs.render(template, context, { filename, escape: String });
}

/** Renders an `.ejs` template, or reads a plain file as it is; a missing fragment is empty. */
function renderFile(path: string, context: Record<string, unknown>): string {
  for (const candidate of [path, `${path}.ejs`]) {
    if (!existsSync(candidate)) continue;
    const text = readFileSync(candidate, 'utf8');
    return candidate.endsWith('.ejs') ? render(text, context, candidate) : text;
  }
  return '';
}

/** Files one set of answers produces, in a stable order. */
export function planFor(definition: ProjectDefinition, answers: Answers): PlannedFile[] {
  const planned = planFiles(definition.kind, {
    pkg: toPackageName(String(answers.name)),
    tracker: String(answers.tracker),
    license: String(answers.license),
    docker: Boolean(answers.docker),
    ci: Boolean(answers.ci),
  });
  const { include } = definition;
  return include ? planned.filter((file) => file.own !== true || include(file.target, answers)) : planned;
}

/** Reads our answers from a folder's .yo-rc.json, if it has them. */
export function readStoredAnswers(folder: string): Answers | undefined {
  const file = join(folder, '.yo-rc.json');
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
  const stored = (parsed as Record<string, unknown> | null)?.[CONFIG_KEY];
  return stored && typeof stored === 'object' ? (stored as Answers) : undefined;
}

type Options = Record<string, unknown>;

/** Builds the generator class of one project; generators/<kind>/index.ts exports it. */
export function projectGenerator(definition: ProjectDefinition) {
  const schema = schemaOf(definition);

  return class ProjectGenerator extends Generator {
    static readonly definition = definition;
    /** Values settled so far: flags, then stored answers, then defaults or prompts. */
    answers: Answers = {};
    /** The folder the project is written to, decided in `configuring`. */
    target = '';
    /** True when the current folder already holds this project's .yo-rc.json. */
    regenerating = false;

    constructor(args: string[], options: ConstructorParameters<typeof Generator>[1]) {
      // Our install() runs `make setup`; there is no package.json for yeoman's npm install.
      super(args, options, { customInstallTask: true });
    }

    override help(): string {
      return helpText(definition.kind, definition.summary, schema);
    }

    get opts(): Options {
      return this.options as unknown as Options;
    }

    /** Prompts only with a terminal (or when a test says so), never with --yes. */
    get interactive(): boolean {
      if (this.opts.yes) return false;
      const forced = this.opts.interactive;
      return typeof forced === 'boolean' ? forced : Boolean(process.stdin.isTTY && process.stdout.isTTY);
    }

    async initializing(): Promise<void> {
      const cwd = this.env.cwd;
      // Regenerating: the current folder holds our .yo-rc.json (e.g. CI re-applying answers).
      const stored = readStoredAnswers(cwd);
      if (stored) {
        if (stored.project !== undefined && stored.project !== definition.kind) {
          throw new UsageError(
            `${join(cwd, '.yo-rc.json')} belongs to a "${String(stored.project)}" project; run mlportfolio ${String(stored.project)} here, or generate ${definition.kind} in another folder`,
          );
        }
        this.regenerating = true;
      }
      // Precedence: flag > stored answer > default (--yes or no terminal) > prompt.
      for (const spec of schema) {
        const flag = this.opts[spec.name];
        if (flag !== undefined) {
          this.answers[spec.name] = coerce(spec, flag, `--${spec.name}`);
        } else if (stored?.[spec.name] !== undefined) {
          this.answers[spec.name] = coerce(spec, stored[spec.name], `${spec.name} in .yo-rc.json`);
        }
      }
      if (this.regenerating && stored?.name !== undefined && this.answers.name !== stored.name) {
        throw new UsageError(
          `--name=${String(this.answers.name)} differs from "${String(stored.name)}" stored in .yo-rc.json; a project cannot be renamed by regenerating`,
        );
      }
      if (!this.interactive) this._fillDefaults();
    }

    async prompting(): Promise<void> {
      if (!this.interactive) return;
      const questions = schema
        .filter((spec) => spec.message !== undefined && this.answers[spec.name] === undefined)
        .map(toQuestion);
      const given = await this.prompt(questions as Parameters<Generator['prompt']>[0]);
      for (const spec of schema) {
        const value = (given as Answers)[spec.name];
        if (value !== undefined) this.answers[spec.name] = coerce(spec, value, spec.name);
      }
      this._fillDefaults();
    }

    configuring(): void {
      const cwd = this.env.cwd;
      this.target = this.regenerating ? cwd : resolve(cwd, String(this.answers.name));
      if (!this.regenerating && existsSync(this.target) && !this.opts.force) {
        const entries = readdirSync(this.target);
        if (entries.length > 0) {
          throw new UsageError(
            `./${String(this.answers.name)} already exists and holds ${entries.length} file(s) (${entries.slice(0, 3).join(', ')}); choose another --name, remove it, or pass --force to write into it`,
          );
        }
      }
    }

    writing(): void {
      const context = templateContext(definition, this.answers);
      const planned = planFor(definition, this.answers);
      const rendered = planned.map((file) => ({
        target: join(this.target, file.target),
        contents: file.render
          ? render(readFileSync(file.source, 'utf8'), context, file.source)
          : readFileSync(file.source),
      }));
      const stored = JSON.stringify({ [CONFIG_KEY]: this._storedAnswers() }, null, 2) + '\n';
      rendered.push({ target: join(this.target, '.yo-rc.json'), contents: stored });
      this._refuseToOverwriteEdits(rendered);
      this.destinationRoot(this.target);
      for (const file of rendered) this.fs.write(file.target, file.contents);
    }

    async install(): Promise<void> {
      if (this.opts.skipInstall || this.opts['skip-install']) return;
      const windows = process.platform === 'win32';
      const [command, args] = windows
        ? ['powershell', ['-ExecutionPolicy', 'Bypass', '-File', 'scripts/setup.ps1']]
        : ['make', ['setup']];
      this.log(`\nSetting up ${String(this.answers.name)}: ${command} ${args.join(' ')}`);
      await execa(command, args, { cwd: this.target, stdio: 'inherit' });
    }

    end(): void {
      const where = relative(this.env.cwd, this.target) || '.';
      const steps = [
        where === '.' ? undefined : `cd ${where}`,
        this.opts.skipInstall || this.opts['skip-install'] ? 'make setup' : undefined,
        'make test',
        'make train',
        'make serve',
      ].filter(Boolean);
      this.log(`\n${String(this.answers.name)} is ready. Next:\n  ${steps.join('\n  ')}\n`);
    }

    /** Every unanswered option takes its default. */
    _fillDefaults(): void {
      for (const spec of schema) {
        this.answers[spec.name] ??= spec.default;
      }
    }

    /** The answers in schema order, so .yo-rc.json is byte-stable. */
    _storedAnswers(): Answers {
      const ordered: Answers = { project: definition.kind };
      for (const spec of schema) ordered[spec.name] = this.answers[spec.name]!;
      return ordered;
    }

    /**
     * Without --force, a file on disk that differs from what we would write is the user's edit:
     * stop before writing anything. With a terminal, yeoman's conflicter asks per file instead.
     */
    _refuseToOverwriteEdits(files: readonly { target: string; contents: string | Buffer }[]): void {
      if (this.opts.force || this.interactive) return;
      const changed = files
        .filter(({ target, contents }) => existsSync(target) && !readFileSync(target).equals(Buffer.from(contents)))
        .map(({ target }) => relative(this.target, target));
      if (changed.length > 0) {
        throw new UsageError(
          `${changed.length} file(s) differ from what would be generated (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''}); nothing was written. Pass --force to overwrite them, or run in a terminal to decide per file`,
        );
      }
    }
  };
}

function toQuestion(spec: OptionSpec) {
  const base = { name: spec.name, message: spec.message ?? spec.name };
  switch (spec.type) {
    case 'boolean':
      return { ...base, type: 'confirm', default: spec.default };
    case 'choice':
      return {
        ...base,
        type: 'select',
        default: spec.default,
        choices: spec.choices.map((choice) => ({ name: `${choice.value}: ${choice.description}`, value: choice.value })),
      };
    case 'integer':
      return {
        ...base,
        type: 'input',
        default: String(spec.default),
        validate: (value: string) => {
          try {
            coerce(spec, value, spec.name);
            return true;
          } catch (error) {
            return (error as Error).message;
          }
        },
      };
    case 'string':
      return {
        ...base,
        type: 'input',
        default: spec.default,
        validate: (value: string) => spec.validate?.(value) ?? true,
      };
  }
}
