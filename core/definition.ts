/**
 * What a project is, to the rest of the core: its typed option schema and which files and
 * requirement groups its answers select. `generators/<kind>/definition.ts` declares one with
 * `defineProject`; nothing here imports a generator or Yeoman.
 */
import { type AnswersOf, commonOptions, type OptionSpec } from './options.js';

/** The common options every project has, followed by the project's own `O`. */
type CommonSchema = ReturnType<typeof commonOptions>;
export type ProjectAnswers<O extends readonly OptionSpec[]> = AnswersOf<readonly [...CommonSchema, ...O]>;

/** Keys of our .yo-rc.json section that are not answers (see core/project-state.ts). */
export const RESERVED_KEYS = ['project', 'version', 'files'] as const;

export interface ProjectDefinition<O extends readonly OptionSpec[] = readonly OptionSpec[]> {
  /** Project kind, also the sub-generator and templates/<kind> folder name. */
  readonly kind: string;
  /** One line for --help, docs and the project picker. */
  readonly summary: string;
  readonly defaultName: string;
  readonly defaultDescription: string;
  /** The project's own options, after the common ones. */
  readonly options: O;
  /**
   * Groups of templates/python-versions.json the project depends on at run time, for these
   * answers (e.g. scraper's requests or Scrapy).
   */
  requirements(answers: ProjectAnswers<O>): readonly string[];
  /**
   * Whether these answers keep one of the project's own files (an output path); all are kept
   * when absent. The one place a project says that a file exists only for some answers.
   */
  include?(target: string, answers: ProjectAnswers<O>): boolean;
}

/**
 * Declares a project. The `const` type parameter keeps each option's literal name and choices,
 * so `requirements` and `include` see typed answers: `answers.model === 'unett'` fails to build.
 */
export function defineProject<const O extends readonly OptionSpec[]>(definition: ProjectDefinition<O>): ProjectDefinition<O> {
  for (const spec of definition.options) {
    if ((RESERVED_KEYS as readonly string[]).includes(spec.name)) {
      throw new Error(`${definition.kind}: option name "${spec.name}" is reserved in .yo-rc.json`);
    }
  }
  return definition;
}

/** Common options followed by the project's own: the full schema of one generator. */
export function schemaOf(definition: ProjectDefinition): readonly OptionSpec[] {
  return [...commonOptions(definition.defaultName, definition.defaultDescription), ...definition.options];
}
