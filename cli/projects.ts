/** The projects this package generates: kind -> definition. Add a line per new project. */
import { fileURLToPath } from 'node:url';
import type { ProjectDefinition } from '../core/definition.js';
import cv from '../generators/cv/definition.js';
import nlp from '../generators/nlp/definition.js';
import scraper from '../generators/scraper/definition.js';
import speech from '../generators/speech/definition.js';
import timeseries from '../generators/timeseries/definition.js';

export const PROJECTS: Readonly<Record<string, ProjectDefinition>> = { scraper, nlp, cv, speech, timeseries };

export const PROJECT_KINDS = Object.keys(PROJECTS);

/** The Yeoman generator file of a project (or `app`), for yeoman-environment's register/composeWith. */
export function generatorPath(kind: string): string {
  return fileURLToPath(new URL(`../generators/${kind}/index.js`, import.meta.url));
}

export function unknownProject(kind: string): string {
  return `unknown project "${kind}"; choose one of: ${PROJECT_KINDS.join(', ')}`;
}

/** The definition of a project kind, or one UsageError-ready message naming the allowed kinds. */
export function projectOf(kind: string): ProjectDefinition | undefined {
  return Object.hasOwn(PROJECTS, kind) ? PROJECTS[kind] : undefined;
}
