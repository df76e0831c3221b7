// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const processModules = ['execa', 'child_process', 'node:child_process']

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.tools/',
      'coverage/',
      'test/gentoo/repo/',
      'test/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    // Only util/exec.ts starts processes in the action: argument arrays, sudo, output handling in
    // one place. Domain folders never import the action layer (src/action/): it imports them.
    files: ['src/**/*.ts'],
    ignores: ['src/util/exec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: processModules.map((name) => ({
            name,
            message: 'Start processes through src/util/exec.ts.',
          })),
        },
      ],
    },
  },
  {
    files: ['src/*/**/*.ts'],
    ignores: ['src/action/**', 'src/util/exec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: processModules.map((name) => ({
            name,
            message: 'Start processes through src/util/exec.ts.',
          })),
          patterns: [
            {
              group: ['**/action/*', '**/action/**'],
              message:
                'Domain folders do not import src/action/: define the type in the domain and let the action layer import it.',
            },
          ],
        },
      ],
    },
  },
  {
    // A module a reader can hold in mind: split along its seams before it grows past this.
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }] },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
)
