import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every repository path the docs name (`src/…`, `shared/…`, `bench/…`, `test/…`, `examples/…` in
 * README.md, CONTRIBUTING.md and docs/*.md) exists. Files move (issue 23 splits four of them);
 * this names each stale path and the page that still says it.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A path as prose writes it: a known top folder, then path characters; `…` and globs end it. */
const PATH = /(?<![\w./-])(?:src|shared|bench|test|examples)\/[A-Za-z0-9_./-]*/g;
/** Paths named as history, on purpose: each with the reason it may not exist. */
const HISTORICAL = new Map([['bench/large-world-ticks.ts', "the script's path at an older commit (docs/benchmarks.md says 'then at')"]]);

/** Folders that tests and benchmarks write (git-ignored outputs), read from .gitignore. */
function generatedFolders(): string[] {
  return readFileSync(`${ROOT}.gitignore`, 'utf8')
    .split('\n')
    .map((line) => line.trim().replace(/^\//, ''))
    .filter((line) => line.endsWith('/') && /^(?:src|shared|bench|test|examples)\//.test(line));
}

function docFiles(): string[] {
  const pages = readdirSync(`${ROOT}docs`).filter((name) => name.endsWith('.md'));
  return ['README.md', 'CONTRIBUTING.md', ...pages.map((name) => `docs/${name}`)];
}

/** `src/sdk/socket-like` names the module: the file may carry .ts. */
function exists(path: string): boolean {
  return existsSync(ROOT + path) || existsSync(`${ROOT}${path}.ts`);
}

describe('paths named in the docs', () => {
  const generated = generatedFolders();

  it('finds the paths it checks (the scan itself works)', () => {
    const found = docFiles().flatMap((file) => readFileSync(ROOT + file, 'utf8').match(PATH) ?? []);
    expect(found.length).toBeGreaterThan(100);
    expect(generated).toContain('bench/results/');
  });

  it.each(docFiles())('every src/, shared/, bench/, test/ and examples/ path in %s exists', (file) => {
    const text = readFileSync(ROOT + file, 'utf8');
    const stale = new Set<string>();
    for (const match of text.matchAll(PATH)) {
      const path = match[0].replace(/[.,:;)]+$/, '');
      if (HISTORICAL.has(path) || generated.some((folder) => path.startsWith(folder))) continue;
      if (!exists(path)) stale.add(path);
    }
    expect([...stale], `paths in ${file} that do not exist`).toEqual([]);
  });
});
