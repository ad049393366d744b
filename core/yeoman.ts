/**
 * The Yeoman face of a project: `yo mlportfolio:<kind>`, and the bin when it asks questions in a
 * terminal. Yeoman only asks; settling answers, rendering and writing are the same steps the
 * bin's fast path takes (core/lifecycle.ts). This is the only core module that loads Yeoman.
 */
import Generator from 'yeoman-generator';
import { isInteractive, withDefaults } from './answers.js';
import { type ProjectDefinition, schemaOf } from './definition.js';
import { runSetup } from './install.js';
import { conflictError, plan, type Start, start, targetFolder, write } from './lifecycle.js';
import { type Answers, coerce, helpText, type OptionSpec } from './options.js';
import { nextStepsText } from './steps.js';
import { describe as describePlan } from './writer.js';

type Options = Record<string, unknown>;

/** Builds the generator class of one project; generators/<kind>/index.ts exports it. */
export function projectGenerator(definition: ProjectDefinition) {
  return class ProjectGenerator extends Generator {
    static readonly definition = definition;
    started?: Start;
    answers: Answers = {};
    folder = '';
    conflicts: string[] = [];

    constructor(args: string[], options: ConstructorParameters<typeof Generator>[1]) {
      // Our install() runs `make setup`; there is no package.json for yeoman's npm install.
      super(args, options, { customInstallTask: true });
    }

    override help(): string {
      return helpText(definition.kind, definition.summary, schemaOf(definition));
    }

    get opts(): Options {
      return this.options as unknown as Options;
    }

    get interactive(): boolean {
      return isInteractive({ yes: Boolean(this.opts.yes), interactive: this.opts.interactive as boolean | undefined });
    }

    initializing(): void {
      this.started = start(definition, this.env.cwd, this.opts);
      this.answers = { ...this.started.answers };
    }

    async prompting(): Promise<void> {
      if (!this.interactive) return;
      const schema = this.started!.schema;
      const questions = schema.filter((spec) => spec.message !== undefined && this.answers[spec.name] === undefined).map(toQuestion);
      const given = (await this.prompt(questions as Parameters<Generator['prompt']>[0])) as Answers;
      for (const spec of schema) {
        if (given[spec.name] !== undefined) this.answers[spec.name] = coerce(spec, given[spec.name], spec.name);
      }
    }

    configuring(): void {
      this.answers = withDefaults(this.started!.schema, this.answers);
      this.folder = targetFolder(this.started!, this.env.cwd, String(this.answers.name), Boolean(this.opts.force));
    }

    writing(): void {
      const planned = plan(this.started!, this.folder, this.answers, Boolean(this.opts.force));
      if (this.opts.dryRun) {
        for (const line of describePlan(planned.plan.decisions, { all: true })) this.log(line);
        return;
      }
      const outcome = write(planned, { newProject: !this.started!.regenerating });
      for (const line of outcome.lines) this.log(line);
      this.conflicts = outcome.conflicts;
    }

    async install(): Promise<void> {
      if (this.opts.skipInstall || this.opts['skip-install'] || this.opts.dryRun || this.conflicts.length > 0) return;
      await runSetup(this.folder, this.env.cwd);
    }

    end(): void {
      if (this.conflicts.length > 0) throw conflictError(this.conflicts);
      if (this.opts.dryRun) return;
      this.log(nextStepsText(String(this.answers.name), this.folder, this.env.cwd, Boolean(this.opts.skipInstall || this.opts['skip-install'])));
    }
  };
}

function toQuestion(spec: OptionSpec) {
  const base = { name: spec.name, message: spec.message ?? spec.name };
  const validate = (value: string) => {
    try {
      coerce(spec, value, spec.name);
      return true;
    } catch (error) {
      return (error as Error).message;
    }
  };
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
      return { ...base, type: 'input', default: String(spec.default), validate };
    case 'string':
      return { ...base, type: 'input', default: spec.default, validate };
  }
}
