/** The per-file decision table of regenerate and update, and the writer, in memory. */
import { Volume, createFsFromVolume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { decide, type FileSides, type Merge } from '../../core/decide.js';
import { sha256 } from '../../core/project-state.js';
import { applyPlan, type FileSystem, planWrite, unresolvedConflicts } from '../../core/writer.js';

const b = (text: string) => Buffer.from(text);
const file = (text: string) => ({ contents: b(text), executable: false });
/** A stand-in for git merge-file: clean when only one side changed a line, else a conflict. */
const merge: Merge = (base, ours, theirs) => {
  const [bl, ol, tl] = [base, ours, theirs].map((x) => x.toString().split('\n'));
  if (bl!.length !== ol!.length || bl!.length !== tl!.length) return { contents: b(`<<<<<<< yours\n${ours}=======\n${theirs}>>>>>>> mlportfolio x\n`), conflicts: 1 };
  let conflicts = 0;
  const out = bl!.map((line, i) => {
    if (ol![i] === line) return tl![i];
    if (tl![i] === line || tl![i] === ol![i]) return ol![i];
    conflicts += 1;
    return `<<<<<<< yours\n${ol![i]}\n=======\n${tl![i]}\n>>>>>>> mlportfolio x`;
  });
  return { contents: b(out.join('\n')), conflicts };
};
const run = (sides: Omit<FileSides, 'path'>, force = false) => decide({ path: 'f', ...sides }, { force, merge });
const base = 'a\nb\nc\n';

describe('decide', () => {
  it.each<[string, Omit<FileSides, 'path'>, string, string | undefined]>([
    ['new in the template', { theirs: file(base) }, 'create', base],
    ['unedited, template unchanged', { recorded: sha256(base), ours: b(base), theirs: file(base) }, 'unchanged', undefined],
    ['unedited, template changed', { recorded: sha256(base), ours: b(base), theirs: file('a\nB\nc\n') }, 'update', 'a\nB\nc\n'],
    ['edited, template unchanged', { recorded: sha256(base), ours: b('A\nb\nc\n'), theirs: file(base) }, 'keep-edited', undefined],
    ['edited here and changed in the template, apart', { recorded: sha256(base), base: b(base), ours: b('A\nb\nc\n'), theirs: file('a\nb\nC\n') }, 'merge', 'A\nb\nC\n'],
    ['edited to what the template now says', { recorded: sha256(base), ours: b('a\nB\nc\n'), theirs: file('a\nB\nc\n') }, 'unchanged', undefined],
    ['deleted here and changed in the template', { recorded: sha256(base), theirs: file('a\nB\nc\n') }, 'keep-deleted', undefined],
    ['deleted here, template unchanged', { recorded: sha256(base), theirs: file(base) }, 'keep-deleted', undefined],
    ['deleted in the template and unedited', { recorded: sha256(base), ours: b(base) }, 'delete', undefined],
    ['deleted in the template and edited here', { recorded: sha256(base), ours: b('A\nb\nc\n') }, 'keep-dropped', undefined],
    ['deleted on both sides', { recorded: sha256(base) }, 'unchanged', undefined],
  ])('%s -> %s', (_label, sides, action, contents) => {
    const decision = run(sides);
    expect(decision.action).toBe(action);
    expect(decision.contents?.toString()).toBe(contents);
    // The manifest records the new render for every path still generated, and drops the others.
    expect(decision.record).toBe(sides.theirs ? sha256(sides.theirs.contents) : undefined);
  });

  it('marks overlapping edits as a conflict and writes both sides', () => {
    const decision = run({ recorded: sha256(base), base: b(base), ours: b('a\nmine\nc\n'), theirs: file('a\ntheirs\nc\n') });
    expect(decision.action).toBe('conflict');
    expect(decision.contents!.toString()).toContain('<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> mlportfolio');
  });

  it('makes a conflict, not an overwrite, of a new template file the user already has', () => {
    const decision = run({ ours: b('my own\n'), theirs: file(base) });
    expect(decision.action).toBe('conflict');
    expect(decision.contents!.toString()).toContain('my own');
    expect(decision.reason).toContain('you already have a file of that name');
  });

  it('makes a conflict when the previous render cannot be found', () => {
    const decision = run({ recorded: sha256(base), ours: b('A\nb\nc\n'), theirs: file('a\nb\nC\n') });
    expect(decision.action).toBe('conflict');
    expect(decision.reason).toContain('could not be found');
  });

  it('replaces edits and restores deleted files only with --force, saying so', () => {
    const edited = run({ recorded: sha256(base), base: b(base), ours: b('A\nb\nc\n'), theirs: file('a\nb\nC\n') }, true);
    expect([edited.action, edited.contents?.toString()]).toEqual(['overwrite', 'a\nb\nC\n']);
    expect(edited.reason).toContain('--force');
    expect(run({ recorded: sha256(base), theirs: file(base) }, true).action).toBe('overwrite');
    // Even --force keeps an edited file the generator no longer makes.
    expect(run({ recorded: sha256(base), ours: b('A\n') }, true).action).toBe('keep-dropped');
  });
});

describe('writer (memfs)', () => {
  const setup = (files: Record<string, string>) => {
    const volume = Volume.fromJSON(files, '/p');
    return createFsFromVolume(volume) as unknown as FileSystem & { existsSync(path: string): boolean };
  };
  const planFor = (fs: FileSystem, theirs: Record<string, string>, recorded: Record<string, string>) =>
    planWrite({
      folder: '/p',
      theirs: new Map(Object.entries(theirs).map(([path, text]) => [path, file(text)])),
      recorded,
      baseOf: () => undefined,
      configFor: (manifest) => `${JSON.stringify(manifest)}\n`,
      force: false,
      merge,
      fs,
    });

  it('writes, deletes (with the folders it empties) and records the manifest in .yo-rc.json', () => {
    const fs = setup({ 'old/only.txt': 'x', 'keep.txt': 'k', '.yo-rc.json': '{}' });
    const plan = planFor(fs, { 'keep.txt': 'k', 'src/new.py': 'print()\n' }, { 'old/only.txt': sha256('x'), 'keep.txt': sha256('k') });
    expect(plan.decisions.map((d) => [d.path, d.action])).toEqual([
      ['keep.txt', 'unchanged'],
      ['old/only.txt', 'delete'],
      ['src/new.py', 'create'],
    ]);
    applyPlan(plan, fs);
    expect(fs.readFileSync('/p/src/new.py', 'utf8')).toBe('print()\n');
    expect(fs.existsSync('/p/old')).toBe(false);
    expect(JSON.parse(fs.readFileSync('/p/.yo-rc.json', 'utf8'))).toEqual({ 'keep.txt': sha256('k'), 'src/new.py': sha256('print()\n') });
  });

  it('leaves the project byte for byte as it was when a write fails midway', () => {
    const fs = setup({ 'a.txt': 'a', 'b.txt': 'b', '.yo-rc.json': '{}' });
    const plan = planFor(fs, { 'a.txt': 'A', 'b.txt': 'B' }, { 'a.txt': sha256('a'), 'b.txt': sha256('b') });
    const write = fs.writeFileSync.bind(fs);
    let calls = 0;
    fs.writeFileSync = ((...args: Parameters<typeof write>) => {
      calls += 1;
      if (calls === 2) throw new Error('disk full');
      return write(...args);
    }) as typeof write;
    expect(() => applyPlan(plan, fs)).toThrow('disk full');
    expect(fs.readdirSync('/p').sort()).toEqual(['.yo-rc.json', 'a.txt', 'b.txt']);
    expect([fs.readFileSync('/p/a.txt', 'utf8'), fs.readFileSync('/p/b.txt', 'utf8'), fs.readFileSync('/p/.yo-rc.json', 'utf8')]).toEqual(['a', 'b', '{}']);
  });

  it('finds conflict markers left from an earlier run', () => {
    const fs = setup({ 'a.txt': 'x\n<<<<<<< yours\nmine\n=======\nnew\n>>>>>>> mlportfolio 0.2.0\n', 'b.txt': '<<<<<<< HEAD\n' });
    expect(unresolvedConflicts('/p', { 'a.txt': 'h', 'b.txt': 'h', 'gone.txt': 'h' }, fs)).toEqual(['a.txt']);
  });
});
