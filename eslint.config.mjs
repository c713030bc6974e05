// Lint: mistakes the type checker lets through. Type-aware rules find promises nobody awaits
// (a failure that never reaches a caller, a test that ends before its assertion ran); the rest find
// code that does nothing (unused variables, imports and parameters, unreachable statements).
// Formatting is Prettier's (.prettierrc.json), not a lint rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'docs/api/**', 'coverage/**', '.tmp/**', 'sscard-office/**', '**/node_modules/**'],
  },
  {
    files: ['**/*.{ts,cts,mts,js,cjs,mjs}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig.json nearest to it (examples/ has its own, which
        // resolves `sscard/...` through dist/: build first, as .ci/run does).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          // A parameter before a used one keeps its place in a signature (a callback's, an
          // interface's); one whose name starts with _ is unused on purpose.
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      'no-unreachable': 'error',
      'no-unused-private-class-members': 'error',
      'no-unused-expressions': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    // Plain JavaScript and the package-consumer sources (compiled by their own test against the
    // built package, outside the project's tsconfig): syntax rules only, no type information.
    files: ['**/*.{js,cjs,mjs}', 'test/package/consumer/**'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // CommonJS sources load modules with require() by design.
    files: ['**/*.{cts,cjs}'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'stryker/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
