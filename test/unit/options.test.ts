import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../core/argv.js';
import { coerce, commonOptions, type OptionSpec, UsageError, validateProjectName } from '../../core/options.js';

const schema = commonOptions('demo', 'Demo.') as readonly OptionSpec[];
const spec = (name: string) => schema.find((s) => s.name === name)!;

describe('project names', () => {
  it.each(['co2-forecast', 'a', 'shop2-scraper'])('accepts %s', (name) => {
    expect(validateProjectName(name)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['my project', 'not a valid project name'],
    ['2fast', 'not a valid project name'],
    ['../escape', 'path separator'],
    ['a/b', 'path separator'],
    ['class', 'Python keyword'],
    ['import', 'Python keyword'],
    ['Upper', 'not a valid project name'],
    ['double--hyphen', 'not a valid project name'],
    ['trailing-', 'not a valid project name'],
    ['json', 'shadows the Python module'],
    ['pandas', 'shadows the Python module'],
    ['tests', 'shadows the Python module'],
  ])('rejects "%s" (%s)', (name, reason) => {
    expect(validateProjectName(name)).toContain(reason);
  });
});

describe('coerce', () => {
  it('turns flag text into typed values', () => {
    expect(coerce(spec('docker'), 'false', '--docker')).toBe(false);
    expect(coerce(spec('docker'), true, '--docker')).toBe(true);
    expect(coerce(spec('year'), '2031', '--year')).toBe(2031);
    expect(coerce(spec('tracker'), 'wandb', '--tracker')).toBe('wandb');
  });

  it('names the value and what is allowed', () => {
    expect(() => coerce(spec('tracker'), 'comet', '--tracker')).toThrow(
      new UsageError('invalid --tracker=comet: expected one of mlflow, wandb, none'),
    );
    expect(() => coerce(spec('year'), '20x1', '--year')).toThrow('expected a whole number from 1970 to 9999');
    expect(() => coerce(spec('year'), '1.5', '--year')).toThrow('invalid --year=1.5');
    expect(() => coerce(spec('docker'), 'maybe', '--docker')).toThrow('invalid --docker=maybe: expected true or false');
    expect(() => coerce(spec('author'), 'two\nlines', '--author')).toThrow('one line');
  });
});

describe('parseArgv', () => {
  it('reads --key=value, --key value, --flag and --no-flag', () => {
    const parsed = parseArgv(['--tracker=none', '--name', 'demo', '--no-docker', '--ci', '--yes', '--skip-install'], schema);
    expect(parsed.values).toEqual({ tracker: 'none', name: 'demo', docker: false, ci: true });
    expect(parsed).toMatchObject({ yes: true, skipInstall: true, force: false, help: false });
  });

  it('keeps --docker=false as text for coerce', () => {
    expect(parseArgv(['--docker=false'], schema).values).toEqual({ docker: 'false' });
  });

  it('rejects unknown options and missing values', () => {
    expect(() => parseArgv(['--trackr=none'], schema)).toThrow('unknown option --trackr');
    expect(() => parseArgv(['--name'], schema)).toThrow('--name needs a value');
    expect(() => parseArgv(['--no-docker=1'], schema)).toThrow('takes no value');
    expect(() => parseArgv(['--no-name'], schema)).toThrow('unknown option --no-name');
  });
});
