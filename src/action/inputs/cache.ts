/** The cache inputs: cache, save-cache, cache-dir (where it may be) and cache-key-suffix. */
import { realpathSync } from 'node:fs'
import path from 'node:path'
import type { CacheSettings } from '../../cache/cache.ts'
import { Input } from '../../util/names.ts'
import { isWithin } from '../../util/paths.ts'
import { CACHE_ROOTS_ENV, DEFAULT_CACHE_DIR } from '../names.ts'
import { CONTROL_RE, type InputContext, type Reader } from './read.ts'

export function parseCacheInputs(r: Reader): CacheSettings | undefined {
  const mode = r.oneOf(Input.cache, 'actions', ['actions', 'local', 'off'] as const)
  const saveCache = r.oneOf(Input.saveCache, 'auto', ['auto', 'always', 'never'] as const)
  const dir = r.get(Input.cacheDir, DEFAULT_CACHE_DIR)
  if (
    !path.isAbsolute(dir) ||
    CONTROL_RE.test(dir) ||
    dir.split('/').includes('..') ||
    path.resolve(dir) === '/'
  ) {
    r.problem(
      Input.cacheDir,
      `'${dir}' must be an absolute directory path without '..', other than /, e.g. ${DEFAULT_CACHE_DIR}`,
    )
  } else if (mode === 'local') {
    const why = cacheDirProblem(dir, r.context)
    if (why) r.problem(Input.cacheDir, why)
  }
  const suffix = r.get(Input.cacheKeySuffix)
  if (!/^[A-Za-z0-9._+-]{0,64}$/.test(suffix)) {
    r.problem(
      Input.cacheKeySuffix,
      `'${suffix}' may hold only letters, digits, '.', '_', '+' and '-', at most 64, e.g. v2`,
    )
  }
  const image = r.boolean(Input.imageCache, 'true')
  if (!mode || !saveCache || image === undefined) return undefined
  return { mode, dir: mode === 'local' ? path.resolve(dir) : undefined, saveCache, suffix, image }
}

/** The path with its deepest existing ancestor's links resolved (the rest does not exist yet). */
function realpathOfAncestor(target: string): string {
  const rest: string[] = []
  let at = path.resolve(target)
  for (;;) {
    try {
      return path.join(realpathSync(at), ...rest.reverse())
    } catch {
      const parent = path.dirname(at)
      if (parent === at) return path.join(at, ...rest.reverse())
      rest.push(path.basename(at))
      at = parent
    }
  }
}

/** Why cache-dir may not be used: it must lie below a directory meant for it, links resolved. */
export function cacheDirProblem(dir: string, context: InputContext): string | undefined {
  const roots = [DEFAULT_CACHE_DIR, context.workspace, ...(context.cacheRoots ?? [])]
    .filter((r) => path.isAbsolute(r) && path.resolve(r) !== '/')
    .map(realpathOfAncestor)
  const real = realpathOfAncestor(dir)
  if (roots.some((root) => isWithin(real, root))) return undefined
  return `'${dir}'${real === path.resolve(dir) ? '' : ` (${real})`} is outside the directories a cache may be kept in (${roots.join(', ')}); use a directory below ${DEFAULT_CACHE_DIR}, e.g. ${DEFAULT_CACHE_DIR}/shared, or ask the runner's administrator to list its parent in ${CACHE_ROOTS_ENV}`
}
