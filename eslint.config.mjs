import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '.nx', 'tmp', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            // DESIGN.md section 1: who may import whom.
            {
              sourceTag: 'type:queries',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: ['@duckdb/*'],
            },
            { sourceTag: 'type:storage-core', onlyDependOnLibsWithTags: ['type:queries'] },
            { sourceTag: 'type:pool', onlyDependOnLibsWithTags: ['type:storage-core', 'type:queries'] },
            { sourceTag: 'type:ingest-app', onlyDependOnLibsWithTags: ['scope:lib'] },
            { sourceTag: 'type:analytics-app', onlyDependOnLibsWithTags: ['scope:lib'] },
            { sourceTag: 'scope:lib', onlyDependOnLibsWithTags: ['scope:lib'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests may assert presence with `!` after checking it; production code may not.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
