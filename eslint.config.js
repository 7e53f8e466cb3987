// Lint for promise bugs and for the layering the architecture depends on.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const deepImports = { group: ['@regatta/*/src/*', '@regatta/*/dist/*', '../../*/src/*'], message: 'Import a package by its name, not its files.' };

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: [deepImports, { group: forbidden, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { project: ['./packages/*/tsconfig.json', './examples/ais/tsconfig.json', './tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // The core is pure: no I/O frameworks, no adapters.
  layer(['packages/core/src/**'], ['@regatta/*', 'fastify', 'better-sqlite3', 'kysely', 'node:http', 'node:child_process', 'commander'],
    'core knows nothing of HTTP, storage adapters, processes or other packages'),
  layer(['packages/store/src/**', 'packages/runtimes/src/**'], ['@regatta/engine', '@regatta/server', '@regatta/cli', '@regatta/backends', 'fastify'],
    'adapters depend on core only'),
  layer(['packages/backends/src/**'], ['@regatta/engine', '@regatta/server', '@regatta/cli', '@regatta/store', 'fastify'],
    'backends depend on core and runtimes only'),
  layer(['packages/engine/src/**'], ['@regatta/server', '@regatta/cli', 'fastify', 'better-sqlite3', 'node:http'],
    'the engine knows nothing of HTTP or a particular database'),
  // The SDK stands alone at run time; its answer types come from the server's wire schemas (types only, erased).
  {
    files: ['packages/sdk/src/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [deepImports,
        { group: ['@regatta/*', '!@regatta/core', 'fastify'], message: 'the SDK stands alone (it is shipped to jobs and the web UI)' },
        { regex: '^@regatta/core(?!/api-schema$)', message: 'the SDK stands alone (it is shipped to jobs and the web UI)' },
        { group: ['@regatta/core/api-schema'], allowTypeImports: true, message: 'the SDK takes only types from @regatta/core/api-schema' },
      ] }],
    },
  },
  // The UI talks to the server only through the API, with the browser-safe part of the SDK.
  {
    files: ['packages/web/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [deepImports, {
        regex: '^(@regatta/(?!sdk/client$)|node:|fastify)', message: 'the web UI uses the API through @regatta/sdk/client only',
      }] }],
    },
  },
  {
    files: ['packages/web/src/**/*.tsx', 'packages/web/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
);
