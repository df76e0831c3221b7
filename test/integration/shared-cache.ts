/**
 * The binary packages and distfiles the integration tests share: one `cache: local` directory per
 * run of the integration project, made and pre-filled by global-setup.ts (a bash image), so that
 * a build that is not about the cache merges what an earlier one built instead of compiling it
 * again. Tests that are about a cold build or about the cache say `cache` themselves and do not
 * get it. No vitest import here: global-setup.ts runs outside the test context.
 */
import type { ActionRun } from '../../scripts/run-action.ts'

/** What global-setup.ts provides to the test files (vitest's inject). */
export const SHARED_CACHE_KEY = 'lxcmin-shared-cache-dir'

declare module 'vitest' {
  export interface ProvidedContext {
    [SHARED_CACHE_KEY]: string
  }
}

/** What the pre-fill builds; tests that build the same get an exact hit. */
export const SHARED_PREFILL = 'app-shells/bash'

/**
 * Inputs that skip what a test not about them need not pay for: no upload of the image, the report
 * or a failed build's logs; zstd level 1 rather than the default 9 (a fraction of a second a build here; 15 s when the default was 19); no host check (its
 * snapshot and comparison take 3 to 6 s a build; confinement.test.ts is about it and sets it).
 */
export const QUICK: Readonly<Record<string, string>> = {
  upload: 'false',
  'upload-report': 'false',
  'upload-logs': 'never',
  'compression-level': '1',
  'host-check': 'off',
}

/**
 * The run with the shared cache added, unless the inputs choose a cache themselves: `cache: local`
 * in dir, saved on every event, and dir allowed by the runner's administrator (LXCMIN_CACHE_ROOTS).
 */
export function withSharedCache(
  dir: string,
  inputs: Readonly<Record<string, string>>,
  extra: Omit<ActionRun, 'inputs'>,
): ActionRun {
  if ('cache' in inputs) return { ...extra, inputs }
  return {
    ...extra,
    inputs: { cache: 'local', 'cache-dir': dir, 'save-cache': 'always', ...inputs },
    env: { LXCMIN_CACHE_ROOTS: dir, ...extra.env },
  }
}
