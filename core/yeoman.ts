/**
 * The Yeoman face of a project: `yo mlportfolio:<kind>`, and the bin when it asks questions in a
 * terminal. Yeoman only asks; settling answers, rendering and writing are the same steps the
 * bin's fast path takes (core/lifecycle.ts). This is the only core module that loads Yeoman.
 */
import Generator from 'yeoman-generator';
import { isInteractive, withDefaults } from './answers.js';
import { parseArgv, yoArgv } from './argv.js';
import { type ProjectDefinition, schemaOf } from './definition.js';
import { runSetup } from './install.js';
import { conflictError, plan, type Planned, type Start, start, targetFolder, write } from './lifecycle.js';
import { type Answers, coerce, defaultOf, helpText, type OptionSpec, UsageError } from './options.js';
import { nextStepsText } from './steps.js';
import { changes, describe as describePlan } from './writer.js';

type Options = Record<string, unknown>;

/** Builds the generator class of one project; generators/<kind>/index.ts exports it. */
export function projectGenerator(definition: ProjectDefinition) {
  const schema = schemaOf(definition);
  return class ProjectGenerator extends Generator {
    static readonly definition = definition;
    started?: Start;
    answers: Answers = {};
    folder = '';
    planned?: Planned;
    conflicts: string[] = [];
    /** What the run was told: our own flags, parsed exactly as the bin parses them. */
    told: Options = {};
    underYo = false;

    constructor(args: string[], options: ConstructorParameters<typeof Generator>[1]) {
      // Our install() runs `make setup`; there is no package.json for yeoman's npm install.
      super(args, options, { customInstallTask: true });
    }

    override help(): string {
      return helpText(definition.kind, definition.summary, schema);
    }

    get interactive(): boolean {
      return isInteractive({ yes: Boolean(this.told.yes), interactive: this.told.interactive as boolean | undefined });
    }

    initializing(): void {
      this._guard(() => this._initializing());
    }

    async prompting(): Promise<void> {
      await this._guard(() => this._prompting());
    }

    configuring(): void {
      this._guard(() => this._configuring());
    }

    async writing(): Promise<void> {
      await this._guard(() => this._writing());
    }

    async install(): Promise<void> {
      await this._guard(() => this._install());
    }

    end(): void {
      this._guard(() => this._end());
    }

    /**
     * Under `yo`, a mistake of the user's ends as the bin ends it: one line and exit 1 (yo would
     * frame it in several lines of its own). Elsewhere (the bin, tests) the error is thrown on.
     */
    _guard<T>(step: () => T): T {
      const fail = (error: unknown): never => {
        const name = (error as Error | undefined)?.name;
        if (this.underYo && (error instanceof UsageError || name === 'ConflictError')) {
          process.stderr.write(`mlportfolio: error: ${(error as Error).message}\n`);
          process.exit(1);
        }
        throw error;
      };
      try {
        const result = step();
        return (result instanceof Promise ? result.catch(fail) : result) as T;
      } catch (error) {
        return fail(error);
      }
    }

    _initializing(): void {
      // Under `yo`, the words after `mlportfolio:<kind>` are parsed by the bin's own parser, so an
      // unknown or misspelled flag is refused the same way (yo itself would pass it on silently).
      const raw = yoArgv(process.argv, definition.kind);
      this.underYo = raw !== undefined;
      const options = this.options as unknown as Options;
      if (raw) {
        const parsed = parseArgv(raw, schema);
        if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"; flags look like --name=value`);
        this.told = { ...parsed.values, yes: parsed.yes, force: parsed.force, skipInstall: parsed.skipInstall, dryRun: parsed.dryRun, folder: parsed.positionals[0] };
      } else {
        this.told = { ...options, skipInstall: options.skipInstall ?? options['skip-install'], folder: options.folder ?? this.args[0] };
      }
      this.started = start(definition, this.env.cwd, this.told);
      this.answers = { ...this.started.answers };
    }

    async _prompting(): Promise<void> {
      if (!this.interactive) return;
      const open = (spec: OptionSpec) => spec.message !== undefined && this.answers[spec.name] === undefined;
      const regenerating = this.started!.regenerating !== undefined;
      this.log(
        regenerating
          ? `Regenerating the ${definition.kind} project in ${this.env.cwd}.\nNothing is written before you confirm.`
          : `Creating a ${definition.kind} project in ./<name>. Enter keeps a default;\nnothing is written before you confirm.`,
      );
      // The name first, and the folder it names checked at once, before the other questions.
      const nameSpec = schema.find((spec) => spec.name === 'name')!;
      if (open(nameSpec)) await this._ask([nameSpec]);
      this.folder = this._folder();
      await this._ask(schema.filter(open));
    }

    _configuring(): void {
      this.answers = withDefaults(schema, this.answers);
      this.folder = this._folder();
    }

    async _writing(): Promise<void> {
      this.planned = plan(this.started!, this.folder, this.answers, Boolean(this.told.force));
      if (this.told.dryRun) {
        for (const line of describePlan(this.planned.plan.decisions, { all: true })) this.log(line);
        return;
      }
      if (this.interactive && !(await this._confirm(this.planned))) {
        this.log('Nothing was written.');
        this.told.dryRun = true; // nothing to install or announce either
        return;
      }
      const outcome = write(this.planned, { newProject: !this.started!.regenerating });
      for (const line of outcome.lines) this.log(line);
      this.conflicts = outcome.conflicts;
    }

    async _install(): Promise<void> {
      if (this.told.skipInstall || this.told.dryRun || this.conflicts.length > 0) return;
      if (this.started!.regenerating && changes(this.planned!.plan).length === 0) return;
      await runSetup(this.folder, this.env.cwd);
    }

    _end(): void {
      if (this.conflicts.length > 0) throw conflictError(this.conflicts);
      if (this.told.dryRun || this.started!.regenerating) return;
      this.log(nextStepsText(String(this.answers.name), this.folder, this.env.cwd, Boolean(this.told.skipInstall)));
    }

    _folder(): string {
      const name = String(this.answers.name ?? defaultOf(schema.find((spec) => spec.name === 'name')!));
      return targetFolder(this.started!, this.env.cwd, name, Boolean(this.told.force), this.told.folder as string | undefined);
    }

    async _ask(specs: readonly OptionSpec[]): Promise<void> {
      if (specs.length === 0) return;
      const given = (await this.prompt(specs.map(toQuestion) as Parameters<Generator['prompt']>[0])) as Answers;
      for (const spec of specs) {
        if (given[spec.name] !== undefined) this.answers[spec.name] = coerce(spec, given[spec.name], spec.name);
      }
    }

    /** The summary of what will be written, and one yes/no before anything is. */
    async _confirm(planned: Planned): Promise<boolean> {
      const width = Math.max(...schema.map((spec) => spec.name.length));
      this.log('\nSummary:');
      for (const spec of schema) this.log(`  ${spec.name.padEnd(width)}  ${String(this.answers[spec.name])}`);
      const changed = changes(planned.plan);
      if (this.started!.regenerating) for (const line of describePlan(planned.plan.decisions)) this.log(line);
      if (changed.length === 0) {
        this.log('Nothing to change.');
        return true;
      }
      const { confirmed } = await this.prompt<{ confirmed: boolean }>([
        { type: 'confirm', name: 'confirmed', message: `Write ${changed.length} file(s) to ${this.folder}?`, default: true },
      ]);
      return confirmed;
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
        pageSize: spec.choices.length,
        choices: spec.choices.map((choice) => ({ name: `${choice.value}: ${choice.description}`, value: choice.value })),
      };
    case 'integer':
      return { ...base, type: 'input', default: String(spec.default), validate };
    case 'string':
      return { ...base, type: 'input', default: String(defaultOf(spec)), validate };
  }
}
