// Lint: typescript-eslint's recommended rules over everything, formatting left to Prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'client-demo/dist/',
      'bench/results/',
      'test/e2e/screens/',
      'docs/api/',
      'docs/.vitepress/dist/',
      'docs/.vitepress/cache/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Unused names are mistakes, except the deliberately ignored (_x).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Game codecs and wire code use bitwise expressions and short-circuit statements on purpose.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Layers: a room runs over any link through its RoomClient interface, so it must not depend
    // on how links are made. What rooms and transports share lives in src/wire/.
    files: ['src/rooms/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)transport(/|$)',
              message: 'src/rooms/ imports nothing from src/transport/: use src/wire/ for what both share, or RoomClient.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests reach into internals with casts; that is what tests are for.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
