import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config';

/**
 * The API reference (TypeDoc, typedoc.json) has one entry point per public import: every key of
 * package.json "exports" (but ./package.json) is a dist file that tsup builds from a source
 * entry, and that source entry is what TypeDoc documents.
 */
const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

describe('the API reference covers every public import', () => {
  it('typedoc.json documents exactly the source entries behind package.json "exports"', () => {
    const exportsMap = read('package.json').exports as Record<string, string | { types: string }>;
    const config = Array.isArray(tsupConfig) ? tsupConfig[0] : tsupConfig;
    const dtsEntries = (config as { dts: { entry: Record<string, string> } }).dts.entry;
    const sources = Object.entries(exportsMap)
      .filter(([key]) => key !== './package.json')
      .map(([key, target]) => {
        const types = typeof target === 'string' ? target : target.types;
        const name = /^\.\/dist\/(.+)\.d\.ts$/.exec(types)?.[1];
        expect(name, `export ${key} has no dist/*.d.ts types`).toBeDefined();
        expect(dtsEntries[name!], `tsup builds no declarations for ${key}`).toBeDefined();
        return dtsEntries[name!];
      });
    expect(sources).toHaveLength(4);
    expect([...read('typedoc.json').entryPoints].sort()).toEqual([...sources].sort());
  });
});
