/**
 * What a generated project remembers about itself, in its .yo-rc.json under our key: the answers,
 * which version of this package rendered it, and a manifest of the files it wrote (path ->
 * sha256 of the bytes the generator wrote). The manifest is how the writer tells the generator's
 * files from the user's: a file whose bytes still hash to its manifest entry is the generator's.
 * The file is written by the generator only; it is never meant to be edited by hand.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Answers, OptionSpec } from './options.js';
import { UsageError } from './options.js';
import { TEMPLATES_ROOT } from './templates.js';

/** Key of our section in .yo-rc.json (yeoman's convention: the generator's package name). */
export const CONFIG_KEY = 'generator-mlportfolio';
export const CONFIG_FILE = '.yo-rc.json';

export interface ProjectState {
  /** The project kind (`timeseries`, ...), when recorded. */
  readonly kind?: string;
  /** Stored answers as found (checked against the schema later, by `coerce`). */
  readonly answers: Record<string, unknown>;
  /** Version of generator-mlportfolio that last wrote the project (absent before 0.2.0). */
  readonly version?: string;
  /** path -> sha256 hex of what the generator last wrote there (absent before 0.2.0). */
  readonly files?: Readonly<Record<string, string>>;
}

/** This package's version, from its package.json. */
export const GENERATOR_VERSION: string = (
  JSON.parse(readFileSync(join(TEMPLATES_ROOT, '..', 'package.json'), 'utf8')) as { version: string }
).version;

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parses the text of a .yo-rc.json; undefined when it has no section of ours. */
export function parseProjectState(text: string, file = CONFIG_FILE): ProjectState | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
  const section = (parsed as Record<string, unknown> | null)?.[CONFIG_KEY];
  if (!section || typeof section !== 'object') return undefined;
  const { project, version, files, ...answers } = section as Record<string, unknown>;
  if (files !== undefined && (typeof files !== 'object' || files === null || Object.values(files).some((v) => typeof v !== 'string'))) {
    throw new UsageError(`${file}: "files" must map paths to sha256 hashes; it is written by mlportfolio, restore it from git`);
  }
  return {
    kind: project === undefined ? undefined : String(project),
    answers,
    version: version === undefined ? undefined : String(version),
    files: files as Record<string, string> | undefined,
  };
}

/** Reads `<folder>/.yo-rc.json`; undefined when there is none, or it has no section of ours. */
export function readProjectState(folder: string): ProjectState | undefined {
  const file = join(folder, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseProjectState(text, file);
}

/** The .yo-rc.json text for these answers and files: byte-stable (schema order, sorted paths). */
export function configText(kind: string, schema: readonly OptionSpec[], answers: Answers, files: Readonly<Record<string, string>>): string {
  const section: Record<string, unknown> = { project: kind };
  for (const spec of schema) section[spec.name] = answers[spec.name];
  section.version = GENERATOR_VERSION;
  section.files = Object.fromEntries(Object.keys(files).sort().map((path) => [path, files[path]]));
  return `${JSON.stringify({ [CONFIG_KEY]: section }, null, 2)}\n`;
}
