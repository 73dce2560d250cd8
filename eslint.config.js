// Lint rules, including the import direction of STYLE.md: manifest → plan → scheduler → worker → sink,
// with the UI only watching. Each boundary below is a rule, so a wrong import fails `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/** Builds a no-restricted-imports rule from regexes over the import specifier. */
function restrict(...rules) {
  return {
    'no-restricted-imports': [
      'error',
      { patterns: rules.map(([regex, message]) => ({ regex, message })) },
    ],
  };
}

const layer = (name) => `(^|/)(src/)?${name}(/|$)`;
const noReact = ['^react(-dom)?(/.*)?$', 'React belongs to src/ui and src/app only.'];
const noZustand = ['^zustand(/.*)?$', 'Only src/state imports zustand.'];
const noComlink = ['^comlink$', 'Only src/pool (wrap) and workers/ (expose) use comlink.'];
const noCodec = ['^@cornerstonejs/codec-openjph', 'Only workers/codec/htj2k.ts imports the codec.'];
const noIdb = ['^idb$', 'Only src/io/db.ts opens IndexedDB.'];

export default tseslint.config(
  {
    ignores: [
      'dist',
      'node_modules',
      '.cache',
      'test-results',
      'playwright-report',
      'bench-results',
      'ahi-server/fixtures',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  { files: ['eslint.config.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['src/ui/**/*.tsx', 'src/app/**/*.tsx', 'src/state/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict(
      [layer('(io|pool|state|ui|app)'), 'src/core imports nothing outside core.'],
      ['(^|/)workers/', 'src/core imports nothing outside core.'],
      noReact,
      noZustand,
      noComlink,
      noCodec,
      noIdb,
      ['^aws4fetch$', 'Signing lives in src/io.'],
    ),
  },
  {
    files: ['src/io/**/*.ts'],
    ignores: ['src/io/db.ts', 'src/io/db.browser.test.ts'],
    rules: restrict(
      [layer('(pool|state|ui|app)'), 'src/io imports core only.'],
      ['(^|/)workers/', 'src/io imports core only.'],
      noReact,
      noZustand,
      noComlink,
      noCodec,
      noIdb,
    ),
  },
  {
    files: ['src/io/db.ts'],
    rules: restrict(
      [layer('(pool|state|ui|app)'), 'src/io imports core only.'],
      noReact,
      noZustand,
      noComlink,
      noCodec,
    ),
  },
  {
    // Runs in the page: drives a FrameWriter in a worker through a pool helper.
    files: ['src/io/db.browser.test.ts'],
    rules: restrict(
      [layer('(state|ui|app)'), 'src/io imports core only.'],
      noReact,
      noZustand,
      noComlink,
      noCodec,
    ),
  },
  {
    files: ['src/pool/**/*.ts'],
    rules: restrict(
      [layer('(state|ui|app)'), 'src/pool is below state, ui and app.'],
      noReact,
      noZustand,
      noCodec,
      noIdb,
    ),
  },
  {
    files: ['src/state/**/*.ts'],
    rules: restrict(
      [layer('(io|pool|ui|app)'), 'src/state depends on core only.'],
      ['(^|/)workers/', 'src/state depends on core only.'],
      noComlink,
      noCodec,
      noIdb,
    ),
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    rules: restrict(
      [layer('(io|pool)'), 'UI reads state through selectors and acts through app commands.'],
      ['(^|/)workers/', 'UI never talks to workers.'],
      noZustand,
      noComlink,
      noCodec,
      noIdb,
    ),
  },
  {
    files: ['workers/**/*.ts'],
    languageOptions: { globals: globals.worker },
  },
  {
    // Browser tests run in the page: they may drive workers through pool helpers.
    files: ['workers/**/*.ts'],
    ignores: ['workers/**/*.browser.test.ts'],
    rules: restrict(
      [layer('(pool|state|ui|app)'), 'Workers use core and io only.'],
      noReact,
      noZustand,
      noIdb,
    ),
  },
  {
    files: ['workers/**/*.ts'],
    ignores: ['workers/codec/htj2k.ts', 'workers/**/*.test.ts'],
    rules: restrict(
      [layer('(pool|state|ui|app)'), 'Workers use core and io only.'],
      noReact,
      noZustand,
      noIdb,
      noCodec,
    ),
  },
  {
    files: ['ahi-server/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts', '*.config.ts'],
    ignores: ['bench/page/**', 'bench/worker/**'],
    languageOptions: { globals: globals.node },
    rules: { 'no-console': 'off' },
  },
  // The bench's page and worker sides run in the browser, beside the app they measure.
  { files: ['bench/page/**/*.ts'], languageOptions: { globals: globals.browser } },
  { files: ['bench/worker/**/*.ts'], languageOptions: { globals: globals.worker } },
  // Test support runs in the page and in workers it starts for browser tests.
  {
    files: ['test-support/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
);
