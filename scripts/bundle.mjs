// Bundles the action's two entry points into dist/ as ESM for node24: not minified, so that the
// committed dist/ can be reviewed, with a createRequire banner for CommonJS dependencies. Split into
// chunks beside the entry points: what is imported with import() (the cache, artifact and GitHub
// API libraries) is loaded only by a run that uses it, not at every step's start.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

rmSync(new globalThis.URL('../dist', import.meta.url), { recursive: true, force: true })
await build({
  entryPoints: {
    main: 'src/action/entry/main.ts',
    post: 'src/action/entry/post.ts',
    'restore-worker': 'src/cache/restore-worker.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: false,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  outExtension: { '.js': '.js' },
  banner: {
    js: "import { createRequire as __lxcminCreateRequire } from 'node:module'; const require = __lxcminCreateRequire(import.meta.url);",
  },
})
