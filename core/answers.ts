/**
 * Settling the answers of one run. Precedence: flag > stored answer in .yo-rc.json > default
 * (with --yes or without a terminal) > prompt. A stored answer is never reset to its default
 * unless a flag says so.
 */
import { type Answers, coerce, defaultOf, type OptionSpec } from './options.js';

/** Checked flags and stored answers; what is still missing is asked or defaulted by the caller. */
export function settledAnswers(schema: readonly OptionSpec[], flags: Readonly<Record<string, unknown>>, stored: Readonly<Record<string, unknown>> = {}): Answers {
  const answers: Answers = {};
  for (const spec of schema) {
    if (flags[spec.name] !== undefined) answers[spec.name] = coerce(spec, flags[spec.name], `--${spec.name}`);
    else if (stored[spec.name] !== undefined) answers[spec.name] = coerce(spec, stored[spec.name], `${spec.name} in .yo-rc.json`);
  }
  return answers;
}

/** Every option still unanswered takes its default. */
export function withDefaults(schema: readonly OptionSpec[], answers: Answers): Answers {
  const complete: Answers = { ...answers };
  for (const spec of schema) complete[spec.name] ??= defaultOf(spec);
  return complete;
}

/**
 * The one rule for "do we ask questions?": never with --yes; otherwise only when both standard
 * input and output are a terminal (a test may force it either way).
 */
export function isInteractive(options: { readonly yes?: boolean; readonly interactive?: boolean }): boolean {
  if (options.yes) return false;
  if (typeof options.interactive === 'boolean') return options.interactive;
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}
