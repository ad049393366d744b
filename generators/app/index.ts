/** `yo mlportfolio`: asks which project (or takes it as the first argument) and composes it. */
import Generator from 'yeoman-generator';
import { UsageError } from '../../core/options.js';
import { generatorPath, PROJECT_KINDS, PROJECTS, unknownProject } from '../../core/projects.js';

export default class AppGenerator extends Generator {
  override help(): string {
    const rows = PROJECT_KINDS.map((kind) => `  ${kind.padEnd(12)}${PROJECTS[kind]!.definition.summary}`);
    return ['Usage: yo mlportfolio [project] [options]   (or: mlportfolio <project> [options])', '', 'Projects:', ...rows, '', 'Options of one project: yo mlportfolio:<project> --help'].join('\n');
  }

  async prompting(): Promise<void> {
    const options = this.options as unknown as Record<string, unknown>;
    let kind = this.args[0];
    if (kind === undefined) {
      const interactive =
        !options.yes && (typeof options.interactive === 'boolean' ? options.interactive : Boolean(process.stdin.isTTY));
      if (!interactive) throw new UsageError(`no project given and no terminal to ask; choose one of: ${PROJECT_KINDS.join(', ')}`);
      const answer = await this.prompt<{ project: string }>([
        {
          type: 'select',
          name: 'project',
          message: 'Which portfolio project?',
          choices: PROJECT_KINDS.map((value) => ({ name: `${value}: ${PROJECTS[value]!.definition.summary}`, value })),
        },
      ]);
      kind = answer.project;
    }
    if (!PROJECTS[kind]) throw new UsageError(unknownProject(kind));
    await this.composeWith(generatorPath(kind), { forwardOptions: true });
  }
}
