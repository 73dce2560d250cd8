// Lint rules, including the import direction of STYLE.md: manifest → plan → scheduler → worker → sink,
// with the UI only watching. Each boundary below is a rule, so a wrong import fails `npm run lint`.
// Tests follow the rules of the room they sit in; what only tests use lives in test-support/, and
// the bench's page and worker sides in bench/, so no room needs an exception for them.
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
const noCodec = [
  '^(@cornerstonejs/codec-|@jsquash/)',
  'Only the codec modules in workers/codec/ import a codec.',
];
const noIdb = ['^idb$', 'Only src/io/store/schema.ts opens IndexedDB.'];
const noWorkers = (room) => ['(^|/)workers/', `${room} never imports worker code.`];
const noTestSupport = ['(^|/)test-support/', 'Test support is for tests only.'];

const TESTS = ['**/*.test.ts'];

const WORKER_RULES = [
  [layer('(pool|state|ui|app)'), 'Workers use core and io only.'],
  noReact,
  noZustand,
  noIdb,
];
const IO_RULES = [
  [layer('(pool|state|ui|app)'), 'src/io imports core only.'],
  noWorkers('src/io'),
  noReact,
  noZustand,
  noComlink,
  noCodec,
];

/**
 * A room's import rules: its production files also may not import test support; its tests (which
 * follow the room's rules otherwise) may. Two blocks, because a later block's rule replaces an
 * earlier one's for the same file rather than adding to it.
 */
function room(files, ignores, ...rules) {
  const tests = files.filter((f) => /\*\.(\{ts,tsx\}|ts)$/.test(f));
  return [
    { files, ignores: [...ignores, ...TESTS], rules: restrict(...rules, noTestSupport) },
    ...(tests.length
      ? [
          {
            files: tests.map((f) => f.replace(/\*\.(\{ts,tsx\}|ts)$/, '*.test.ts')),
            ignores,
            rules: restrict(...rules),
          },
        ]
      : []),
  ];
}

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
  { files: ['src/**/*.{ts,tsx}'], languageOptions: { globals: globals.browser } },
  { files: ['workers/**/*.ts'], languageOptions: { globals: globals.worker } },
  {
    files: ['src/ui/**/*.tsx', 'src/state/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  ...room(
    ['src/core/**/*.ts'],
    [],
    [layer('(io|pool|state|ui|app)'), 'src/core imports nothing outside core.'],
    noWorkers('src/core'),
    noReact,
    noZustand,
    noComlink,
    noCodec,
    noIdb,
    ['^aws4fetch$', 'Signing lives in src/io.'],
  ),
  // The store's schema module is the one room in io that opens IndexedDB.
  ...room(['src/io/**/*.ts'], ['src/io/store/schema.ts'], ...IO_RULES, noIdb),
  ...room(['src/io/store/schema.ts'], [], ...IO_RULES),
  ...room(
    ['src/pool/**/*.ts'],
    [],
    [layer('(state|ui|app)'), 'src/pool is below state, ui and app.'],
    noReact,
    noZustand,
    noCodec,
    noIdb,
  ),
  ...room(
    ['src/state/**/*.ts'],
    [],
    [layer('(io|pool|ui|app)'), 'src/state depends on core only.'],
    noWorkers('src/state'),
    noComlink,
    noCodec,
    noIdb,
  ),
  ...room(
    ['src/app/**/*.ts'],
    [],
    [layer('ui'), 'src/app is below the UI: the UI calls app commands, never the reverse.'],
    noWorkers('src/app'),
    noReact,
    noCodec,
    noIdb,
  ),
  ...room(
    ['src/ui/**/*.{ts,tsx}'],
    [],
    [layer('(io|pool)'), 'UI reads state through selectors and acts through app commands.'],
    noWorkers('The UI'),
    noZustand,
    noComlink,
    noCodec,
    noIdb,
  ),
  // The codec modules are the one room in workers that imports a codec package.
  ...room(['workers/**/*.ts'], ['workers/codec/*.ts'], ...WORKER_RULES, noCodec),
  ...room(['workers/codec/*.ts'], [], ...WORKER_RULES),
  // The command-line runner runs the app's engine under Node: core, io, pool and the retrieval
  // worker, never the page's state, UI or app commands.
  ...room(
    ['runner/**/*.ts'],
    [],
    [layer('(state|ui|app)'), 'The runner uses core, io, pool and workers: no page code.'],
    noReact,
    noZustand,
    noCodec,
    noIdb,
  ),
  {
    files: ['runner/**/*.ts', 'runner/**/*.mjs'],
    languageOptions: { globals: globals.node },
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
  // Test support runs in the page and in the workers it starts for browser tests.
  {
    files: ['test-support/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
);
