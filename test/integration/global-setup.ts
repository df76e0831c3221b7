/**
 * Once per run of the integration project: the shared cache directory (shared-cache.ts), pre-filled
 * with one bash build from source, and removed again at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { ACTION_DIR, removeRunnerTemps, runAction } from '../../scripts/run-action.ts'
import { QUICK, SHARED_CACHE_KEY, SHARED_PREFILL, withSharedCache } from './shared-cache.ts'

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lxcmin-test-cache-'))
  const teardown = (): void => rmSync(dir, { recursive: true, force: true })
  try {
    const started = Date.now()
    const result = await runAction({
      workspace: ACTION_DIR,
      ...withSharedCache(dir, { ...QUICK, packages: SHARED_PREFILL }, {}),
    })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (result.main.exitCode !== 0 || result.post.exitCode !== 0) {
      // Not fatal: the tests build from source then, and those that expect binaries say so.
      console.warn(`shared cache: the pre-fill build of ${SHARED_PREFILL} failed (${seconds} s):`)
      console.warn(result.main.output.split('\n').slice(-40).join('\n'))
    } else {
      console.log(`shared cache: ${dir}, pre-filled with ${SHARED_PREFILL} in ${seconds} s`)
    }
  } catch (error) {
    teardown()
    throw error
  } finally {
    removeRunnerTemps()
  }
  project.provide(SHARED_CACHE_KEY, dir)
  return teardown
}
