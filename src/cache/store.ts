/** Where cached directories are kept: the Actions cache service, or a directory on the runner. */
import type { CacheKey, CacheKind } from './keys.ts'

export interface CacheStore {
  /** The key that matched, or undefined on a miss. Throws on failures. */
  restore(kind: CacheKind, dir: string, key: CacheKey): Promise<string | undefined>
  /**
   * Whether it was saved; 'exists' when another job saved that key first. Throws on failures.
   * restoreKeys: the prefixes a later restore looks for (the local store keeps the newest few of
   * each).
   */
  save(
    kind: CacheKind,
    dir: string,
    key: string,
    restoreKeys?: readonly string[],
  ): Promise<boolean | 'exists'>
}
