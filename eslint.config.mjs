import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// @nx/enforce-module-boundaries reads the project graph from Nx's cache and silently skips
// itself when there is none (a fresh clone, eslint run from an editor). Build the graph first,
// so the boundaries hold wherever eslint runs; if it cannot be built, fail loudly.
try {
  await createProjectGraphAsync({ exitOnError: false });
} catch (err) {
  throw new Error(`eslint: cannot build the Nx project graph, so module boundaries cannot be checked: ${err?.message ?? err}`);
}

// DESIGN.md section 1: who may import whom. Tags are in each project.json.
const depConstraints = (testCode) => {
  const testing = testCode ? ['type:testing'] : [];
  return [
    { sourceTag: 'type:queries', onlyDependOnLibsWithTags: [...testing], bannedExternalImports: ['@duckdb/*'] },
    { sourceTag: 'type:storage-core', onlyDependOnLibsWithTags: ['type:queries', ...testing] },
    { sourceTag: 'type:pool', onlyDependOnLibsWithTags: ['type:storage-core', 'type:queries', ...testing] },
    // A consumer of the feed needs no database: client may use queries' types only (see below).
    { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:queries', ...testing], bannedExternalImports: ['@duckdb/*'] },
    { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['scope:lib', ...testing] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['scope:lib', 'type:runtime'] },
    { sourceTag: 'type:ingest-app', onlyDependOnLibsWithTags: ['scope:lib', 'type:runtime', ...testing] },
    { sourceTag: 'type:analytics-app', onlyDependOnLibsWithTags: ['scope:lib', 'type:runtime', ...testing] },
  ];
};

const boundaries = (testCode) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    banTransitiveDependencies: false,
    depConstraints: depConstraints(testCode),
  },
];

const TEST_FILES = ['**/*.spec.ts', '**/test/**/*.ts'];

// Nothing imports a package's internals: only its public index.ts (the package name itself).
const DEEP_IMPORT = { group: ['@market-data/*/**'], message: "Import the package's public entry point, not its internals." };
const restrictedImports = ({ patterns = [], paths = [] } = {}) => [
  'error',
  { patterns: [DEEP_IMPORT, ...patterns], paths },
];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '.nx', 'tmp', '**/*.mjs', '**/*.cjs', 'packages/**/*.js', '!packages/*/bench/**/*.js'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-restricted-imports': restrictedImports(),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests may assert presence with `!` after checking it, and may use the testing package.
    files: TEST_FILES,
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': boundaries(true),
    },
  },
  {
    // queries is pure: SQL text and parameters, no I/O and no database.
    files: ['packages/queries/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictedImports({
        patterns: [{ group: ['node:*', 'fs', 'fs/*', 'path', 'net', 'http', 'child_process', 'worker_threads'], message: 'queries does no I/O: SQL templates only.' }],
      }),
    },
  },
  {
    // client may use queries' types, never its code: a feed consumer installs no SQL.
    files: ['packages/client/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictedImports({
        paths: [{ name: '@market-data/queries', allowTypeImports: true, message: 'client may import types only from queries.' }],
      }),
    },
  },
  {
    // Benchmarks and scripts are plain CommonJS run by node: linted for mistakes, and held to
    // the public entry points (no reaching into a package's src/).
    files: ['bench/**/*.js', 'scripts/**/*.js', 'packages/*/bench/**/*.js'],
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 2022, globals: { ...globals.node } },
    rules: {
      'no-undef': 'error',
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-modules': ['error', { patterns: ['**/packages/*/src/**', '@market-data/*/src/**'] }],
    },
  },
];
