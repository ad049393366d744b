/** The projects this package generates: kind -> generator module. Add a line per new project. */
import { fileURLToPath } from 'node:url';
import type { ProjectDefinition } from './project-generator.js';
import cv from '../generators/cv/index.js';
import nlp from '../generators/nlp/index.js';
import scraper from '../generators/scraper/index.js';
import speech from '../generators/speech/index.js';
import timeseries from '../generators/timeseries/index.js';

type ProjectClass = { readonly definition: ProjectDefinition };

export const PROJECTS: Readonly<Record<string, ProjectClass>> = { scraper, nlp, cv, speech, timeseries };

export const PROJECT_KINDS = Object.keys(PROJECTS);

/** The generator file of a project, for yeoman-environment's register/composeWith. */
export function generatorPath(kind: string): string {
  return fileURLToPath(new URL(`../generators/${kind}/index.js`, import.meta.url));
}

export function unknownProject(kind: string): string {
  return `unknown project "${kind}"; choose one of: ${PROJECT_KINDS.join(', ')}`;
}
