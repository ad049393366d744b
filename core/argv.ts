/**
 * Flag parsing shared by the `mlportfolio` bin and `yo mlportfolio:<project>`: both hand the raw
 * arguments to the generator, which parses them here against its schema, so the two entry points
 * accept exactly the same flags and give the same errors.
 */
import { type OptionSpec, UsageError } from './options.js';

/** Flags every generator takes besides its schema. */
export const RUN_FLAGS = ['yes', 'skip-install', 'force', 'dry-run', 'help'] as const;
/** Flags yo and yeoman-environment may pass along; accepted and left to them. */
const YEOMAN_FLAGS = new Set(['skip-cache', 'skip-local-cache', 'force-install', 'ask-answered', 'insight', 'no-insight']);

export interface ParsedArgv {
  /** Raw values by option name, exactly as typed (validated later by `coerce`). */
  readonly values: Record<string, string | boolean>;
  readonly positionals: string[];
  readonly yes: boolean;
  readonly skipInstall: boolean;
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly help: boolean;
}

export function parseArgv(argv: readonly string[], schema: readonly OptionSpec[]): ParsedArgv {
  const specs = new Map(schema.map((spec) => [spec.name, spec]));
  const values: Record<string, string | boolean> = {};
  const run = new Set<string>();
  const positionals: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index]!;
    if (token === '-h') {
      run.add('help');
      continue;
    }
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const [flag, inline] = splitOnce(token.slice(2), '=');
    if ((RUN_FLAGS as readonly string[]).includes(flag)) {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value (got ${token})`);
      run.add(flag);
      continue;
    }
    if (YEOMAN_FLAGS.has(flag)) continue;
    const negated = flag.startsWith('no-') ? specs.get(flag.slice(3)) : undefined;
    if (negated?.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value (got ${token})`);
      values[negated.name] = false;
      continue;
    }
    const spec = specs.get(flag);
    if (!spec) {
      throw new UsageError(`unknown option --${flag}; allowed: ${[...specs.keys(), ...RUN_FLAGS].map((n) => `--${n}`).join(', ')}`);
    }
    if (spec.type === 'boolean') {
      values[spec.name] = inline ?? true;
    } else if (inline !== undefined) {
      values[spec.name] = inline;
    } else {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${flag} needs a value`);
      values[spec.name] = next;
      index += 1;
    }
  }
  return {
    values,
    positionals,
    yes: run.has('yes'),
    skipInstall: run.has('skip-install'),
    force: run.has('force'),
    dryRun: run.has('dry-run'),
    help: run.has('help'),
  };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Under `yo`, the words the user typed after `mlportfolio:<kind>` (or `mlportfolio <kind>`), so
 * the generator can parse them itself; undefined when not run by yo (the bin parsed them already).
 */
export function yoArgv(argv: readonly string[], kind: string): string[] | undefined {
  const script = argv[1] ?? '';
  if (!/(^|[\\/])yo([\\/]lib[\\/]cli\.js)?$/.test(script)) return undefined;
  const words = argv.slice(2);
  const at = words.findIndex((word) => word === `mlportfolio:${kind}` || word === 'mlportfolio');
  if (at === -1) return undefined;
  const rest = words.slice(at + 1);
  return words[at] === 'mlportfolio' && rest[0] === kind ? rest.slice(1) : rest;
}
