/**
 * `yo mlportfolio`: asks which project (or takes it as the first argument) and composes it.
 * An entry point like the bin; it sits under generators/ only because Yeoman looks for it here.
 */
import Generator from 'yeoman-generator';
import { isInteractive } from '../../core/answers.js';
import { UsageError } from '../../core/options.js';
import { generatorPath, PROJECT_KINDS, PROJECTS, unknownProject } from '../../cli/projects.js';

export default class AppGenerator extends Generator {
  override help(): string {
    const rows = PROJECT_KINDS.map((kind) => `  ${kind.padEnd(12)}${PROJECTS[kind]!.summary}`);
    return ['Usage: yo mlportfolio [project] [options]   (or: mlportfolio <project> [options])', '', 'Projects:', ...rows, '', 'Options of one project: yo mlportfolio:<project> --help'].join('\n');
  }

  async prompting(): Promise<void> {
    const options = this.options as unknown as Record<string, unknown>;
    let kind = this.args[0];
    if (kind === undefined) {
      if (!isInteractive({ yes: Boolean(options.yes), interactive: options.interactive as boolean | undefined })) {
        throw new UsageError(`no project given and no terminal to ask; choose one of: ${PROJECT_KINDS.join(', ')}`);
      }
      const answer = await this.prompt<{ project: string }>([
        {
          type: 'select',
          name: 'project',
          message: 'Which portfolio project?',
          // One line each, within 80 columns, all on one screen.
          pageSize: PROJECT_KINDS.length,
          choices: PROJECT_KINDS.map((value) => ({ name: `${value.padEnd(11)} ${shorten(PROJECTS[value]!.summary, 64)}`, value })),
        },
      ]);
      kind = answer.project;
    }
    if (!Object.hasOwn(PROJECTS, kind)) throw new UsageError(unknownProject(kind));
    await this.composeWith(generatorPath(kind), { forwardOptions: true });
  }
}

/** `text` cut at a word boundary to at most `width` characters, with an ellipsis when cut. */
export function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  const cut = text.slice(0, width - 1);
  return `${cut.slice(0, cut.lastIndexOf(' ')).replace(/[,:;]$/, '')}…`;
}
