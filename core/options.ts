/**
 * The typed option schema. One list of option specs per generator is the single source for
 * CLI flags, prompts, validation, defaults, stored answers, `--help` and docs/options.md.
 */
import { spawnSync } from 'node:child_process';
import { RESERVED_MODULES } from './reserved-names.js';

export type Answers = Record<string, string | number | boolean>;

interface BaseSpec {
  /** Flag name (`--name`) and key in .yo-rc.json. Single words, so no camel/kebab mapping. */
  readonly name: string;
  /** One line for --help and docs. */
  readonly description: string;
  /** The question asked interactively; options without one are never asked (e.g. `year`). */
  readonly message?: string;
}

export interface StringSpec extends BaseSpec {
  readonly type: 'string';
  readonly default: string;
  /** A default found at run time (e.g. `git config user.name`), used when it gives one. */
  readonly defaultFrom?: { readonly describe: string; readonly find: () => string | undefined };
  /** Returns an error text for a bad value, or undefined when the value is fine. */
  readonly validate?: (value: string) => string | undefined;
}

export interface ChoiceSpec<C extends string = string> extends BaseSpec {
  readonly type: 'choice';
  readonly choices: readonly { readonly value: C; readonly description: string }[];
  readonly default: C;
}

export interface BooleanSpec extends BaseSpec {
  readonly type: 'boolean';
  readonly default: boolean;
}

export interface IntegerSpec extends BaseSpec {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export type OptionSpec = StringSpec | ChoiceSpec | BooleanSpec | IntegerSpec;

/** The typed answers a schema produces, e.g. `{ tracker: 'mlflow' | 'wandb' | 'none' }`. */
export type AnswersOf<S extends readonly OptionSpec[]> = {
  [O in S[number] as O['name']]: O extends BooleanSpec
    ? boolean
    : O extends IntegerSpec
      ? number
      : O extends ChoiceSpec<infer C>
        ? C
        : string;
};

/** A bad value given by the user: printed as one line, exit code 1, nothing written. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try while ' +
    'with yield'
  ).split(' '),
);

/** Project names become folder names and (with `-` -> `_`) Python package names. */
export function validateProjectName(value: string): string | undefined {
  const allowed = 'lowercase letters, digits and single hyphens, starting with a letter (e.g. co2-forecast)';
  if (value.trim() === '') return `the project name is empty; use ${allowed}`;
  if (value.includes('/') || value.includes('\\') || value.includes('..')) {
    return `"${value}" contains a path separator or ".."; the project is always written into ./<name>; use ${allowed}`;
  }
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(value)) return `"${value}" is not a valid project name; use ${allowed}`;
  if (value.length > 50) return `"${value}" is longer than 50 characters`;
  const pkg = toPackageName(value);
  if (PYTHON_KEYWORDS.has(pkg)) return `"${value}" is a Python keyword and cannot name a package`;
  if (RESERVED_MODULES.has(pkg)) {
    return `"${value}" would make a package "${pkg}" that shadows the Python module of that name (standard library or a dependency); choose a more specific name, e.g. my-${value}`;
  }
  return undefined;
}

export function toPackageName(name: string): string {
  return name.replaceAll('-', '_');
}

export function toTitle(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function validateLine(label: string) {
  return (value: string): string | undefined =>
    /[\r\n]/.test(value) || value.length > 200 ? `the ${label} must be one line of at most 200 characters` : undefined;
}

function validateEmail(value: string): string | undefined {
  return value === '' || /^[^\s@<>"]+@[^\s@<>"]+$/.test(value) ? undefined : `"${value}" is not an e-mail address; use name@example.org, or empty for none`;
}

const gitValues = new Map<string, string | undefined>();

/** `git config <key>` of the user running the generator, if git knows it (read once). */
export function gitConfig(key: string): string | undefined {
  if (!gitValues.has(key)) {
    const result = spawnSync('git', ['config', '--get', key], { encoding: 'utf8' });
    const value = result.status === 0 ? result.stdout.trim() : '';
    gitValues.set(key, value === '' ? undefined : value);
  }
  return gitValues.get(key);
}

/** The default an unanswered option takes: found at run time where the spec says how, else fixed. */
export function defaultOf(spec: OptionSpec): string | number | boolean {
  if (spec.type === 'string' && spec.defaultFrom) {
    const found = spec.defaultFrom.find();
    if (found !== undefined && spec.validate?.(found) === undefined) return found;
  }
  return spec.default;
}

/** Options every project has. `name`'s default comes from the project. */
export function commonOptions(defaultName: string, defaultDescription: string) {
  return [
    {
      name: 'name',
      type: 'string',
      description: 'Project and folder name; the Python package name is derived from it (- becomes _).',
      message: 'Project name',
      default: defaultName,
      validate: validateProjectName,
    },
    {
      name: 'description',
      type: 'string',
      description: 'One-line description used in README.md and pyproject.toml.',
      message: 'Description',
      default: defaultDescription,
      validate: validateLine('description'),
    },
    {
      name: 'author',
      type: 'string',
      description: 'Author name for pyproject.toml, LICENSE and README.',
      message: 'Author',
      default: 'Your Name',
      defaultFrom: { describe: 'git config user.name', find: () => gitConfig('user.name') },
      validate: validateLine('author'),
    },
    {
      name: 'email',
      type: 'string',
      description: "Author e-mail for pyproject.toml; empty leaves it out.",
      message: 'E-mail (empty for none)',
      default: '',
      defaultFrom: { describe: 'git config user.email', find: () => gitConfig('user.email') },
      validate: validateEmail,
    },
    {
      name: 'license',
      type: 'choice',
      description: 'Licence of the generated project.',
      message: 'License',
      choices: [
        { value: 'MIT', description: 'MIT licence' },
        { value: 'Apache-2.0', description: 'Apache licence 2.0' },
        { value: 'none', description: 'no LICENSE file' },
      ],
      default: 'MIT',
    },
    {
      name: 'python',
      type: 'choice',
      description: 'Python version used by CI and the Docker image.',
      message: 'Python version for CI and Docker',
      choices: [
        { value: '3.10', description: 'Python 3.10' },
        { value: '3.11', description: 'Python 3.11' },
        { value: '3.12', description: 'Python 3.12' },
        { value: '3.13', description: 'Python 3.13' },
      ],
      default: '3.11',
    },
    {
      name: 'tracker',
      type: 'choice',
      description: 'Experiment tracking behind one interface.',
      message: 'Experiment tracker',
      choices: [
        { value: 'mlflow', description: 'MLflow, local sqlite:///mlflow.db by default' },
        { value: 'wandb', description: 'Weights & Biases (offline unless WANDB_API_KEY is set)' },
        { value: 'none', description: 'no tracking' },
      ],
      default: 'mlflow',
    },
    {
      name: 'docker',
      type: 'boolean',
      description: 'Dockerfile, .dockerignore and docker-compose.yml.',
      message: 'Add Docker files?',
      default: true,
    },
    {
      name: 'ci',
      type: 'boolean',
      description: 'GitHub Actions workflow running lint and tests (and the Docker build).',
      message: 'Add GitHub Actions CI?',
      default: true,
    },
    {
      name: 'updates',
      type: 'boolean',
      description: 'With --ci: a weekly workflow that updates the project to the newest generator-mlportfolio and opens a pull request.',
      message: 'Add a workflow that proposes generator updates as pull requests?',
      default: true,
    },
    {
      name: 'year',
      type: 'integer',
      description: 'Copyright year; stored with the answers so regeneration gives the same bytes.',
      min: 1970,
      max: 9999,
      default: new Date().getUTCFullYear(),
    },
  ] as const satisfies readonly OptionSpec[];
}

/** Turns a raw flag or stored value into a typed one, or throws a UsageError naming it. */
export function coerce(spec: OptionSpec, raw: unknown, source: string): string | number | boolean {
  const shown = `${source}=${String(raw)}`;
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const text = String(raw).toLowerCase();
      if (['true', 'yes', '1'].includes(text)) return true;
      if (['false', 'no', '0'].includes(text)) return false;
      throw new UsageError(`invalid ${shown}: expected true or false`);
    }
    case 'integer': {
      const text = String(raw).trim();
      const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
        throw new UsageError(`invalid ${shown}: expected a whole number from ${spec.min} to ${spec.max}`);
      }
      return value;
    }
    case 'choice': {
      const text = String(raw);
      if (!spec.choices.some((choice) => choice.value === text)) {
        throw new UsageError(`invalid ${shown}: expected one of ${spec.choices.map((c) => c.value).join(', ')}`);
      }
      return text;
    }
    case 'string': {
      if (typeof raw !== 'string') throw new UsageError(`invalid ${shown}: expected text`);
      const error = spec.validate?.(raw);
      if (error) throw new UsageError(`invalid ${source}: ${error}`);
      return raw;
    }
  }
}

function allowedText(spec: OptionSpec): string {
  switch (spec.type) {
    case 'boolean':
      return 'true | false';
    case 'integer':
      return `${spec.min}..${spec.max}`;
    case 'choice':
      return spec.choices.map((c) => c.value).join(' | ');
    case 'string':
      return 'text';
  }
}

function defaultText(spec: OptionSpec): string {
  if (spec.name === 'year') return 'the current year';
  if (spec.type === 'string' && spec.defaultFrom) return `${spec.defaultFrom.describe}, else ${spec.default === '' ? 'empty' : spec.default}`;
  return String(spec.default);
}

/** `--help` text for one project. */
export function helpText(project: string, summary: string, schema: readonly OptionSpec[]): string {
  const lines = [
    `Usage: mlportfolio ${project} [folder] [options]   (or: yo mlportfolio:${project} [folder] [options])`,
    '',
    summary,
    '',
    'The project is written to [folder] (default: ./<name>); inside a generated project, this regenerates it.',
    '',
    'Options:',
  ];
  const rows = schema.map((spec) => {
    const flag = spec.type === 'boolean' ? `--${spec.name}, --no-${spec.name}` : `--${spec.name}=<${allowedText(spec)}>`;
    return [flag, `${spec.description} [default: ${defaultText(spec)}]`];
  });
  rows.push(
    ['--yes', 'Ask nothing: every unanswered question takes its default.'],
    ['--skip-install', 'Do not run `make setup` after writing.'],
    ['--force', 'Write into a folder that holds files; take the new render of files you edited instead of merging.'],
    ['--dry-run', 'Print what would happen to every file; write nothing.'],
    ['--help, -h', 'Show this help.'],
  );
  const width = Math.max(...rows.map(([flag]) => flag!.length)) + 2;
  for (const [flag, text] of rows) lines.push(`  ${flag!.padEnd(width)}${text}`);
  lines.push('', 'Precedence: flag > stored answer in .yo-rc.json > --yes/no-terminal default > prompt.');
  return lines.join('\n');
}

/** The Markdown table of one project's options, for docs/options.md. */
export function docsSection(project: string, summary: string, schema: readonly OptionSpec[]): string {
  const lines = [`## ${project}`, '', summary, '', '| flag | values | default | what it does |', '| --- | --- | --- | --- |'];
  for (const spec of schema) {
    const values = allowedText(spec).replaceAll('|', '\\|');
    const choices =
      spec.type === 'choice' ? ` (${spec.choices.map((c) => `\`${c.value}\`: ${c.description}`).join('; ')})` : '';
    lines.push(`| \`--${spec.name}\` | ${values} | ${defaultText(spec)} | ${spec.description}${choices} |`);
  }
  return lines.join('\n');
}
