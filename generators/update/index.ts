/**
 * `yo mlportfolio:update`: the same as `mlportfolio update` inside a generated project: take this
 * package's templates, keeping every stored answer and merging the user's edits.
 */
import Generator from 'yeoman-generator';
import { plan, start, write, conflictError } from '../../core/lifecycle.js';
import { withDefaults } from '../../core/answers.js';
import { UsageError } from '../../core/options.js';
import { CONFIG_FILE, readProjectState } from '../../core/project-state.js';
import { describe } from '../../core/writer.js';
import { projectOf } from '../../cli/projects.js';

export default class UpdateGenerator extends Generator {
  writing(): void {
    const cwd = this.env.cwd;
    const state = readProjectState(cwd);
    const definition = state?.kind === undefined ? undefined : projectOf(state.kind);
    if (!definition) throw new UsageError(`no ${CONFIG_FILE} of mlportfolio here; run yo mlportfolio:update inside a generated project`);
    const started = start(definition, cwd, {});
    const planned = plan(started, cwd, withDefaults(started.schema, started.answers), Boolean((this.options as { force?: boolean }).force));
    if ((this.options as { dryRun?: boolean }).dryRun) {
      for (const line of describe(planned.plan.decisions, { all: true })) this.log(line);
      return;
    }
    const outcome = write(planned, { newProject: false });
    for (const line of outcome.lines) this.log(line);
    if (outcome.conflicts.length > 0) throw conflictError(outcome.conflicts);
  }
}
