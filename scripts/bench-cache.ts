/**
 * Benchmark (not a test): cold and warm build time of the same request, through the bundled
 * action, the real @actions/cache and the local Actions services, in one go.
 *
 *   source test/gentoo/env.sh && node scripts/bench-cache.ts [atom ...]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startServices, UNSET_ENV_KEYS } from '../test/services/server.ts'
import { ACTION_DIR, runAction } from './run-action.ts'

const packages = process.argv.slice(2).join(' ') || 'app-shells/bash'
const work = mkdtempSync(path.join(tmpdir(), 'lxcmin-bench-cache-'))
const services = await startServices({ dir: path.join(work, 'services') })
try {
  const env: Record<string, string | undefined> = { ...services.env, GITHUB_EVENT_NAME: 'push' }
  for (const key of UNSET_ENV_KEYS) env[key] = undefined
  const runnerTemp = services.env.RUNNER_TEMP ?? path.join(work, 'runner-temp')
  const timed = async (label: string): Promise<number> => {
    const started = process.hrtime.bigint()
    const result = await runAction({
      workspace: ACTION_DIR,
      runnerTemp,
      env,
      inputs: { packages, 'smoke-test': '/bin/sh -c true' },
    })
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (result.main.exitCode !== 0)
      throw new Error(`${label} build failed:\n${result.main.output.slice(-3000)}`)
    const binary = (result.main.output.match(/^>>> Emerging binary /gm) ?? []).length
    const built = (result.main.output.match(/^>>> Emerging \(/gm) ?? []).length
    console.log(
      `${label}: ${seconds.toFixed(1)} s (main and post), binpkgs ${result.outputs['cache-hit-binpkgs'] ?? '?'}, ${built} built, ${binary} from binary packages`,
    )
    return seconds
  }
  console.log(`request: ${packages}`)
  const cold = await timed('cold')
  const warm = await timed('warm')
  console.log(
    `warm/cold: ${(warm / cold).toFixed(2)} (cold is ${(cold / warm).toFixed(1)}x the warm run)`,
  )
} finally {
  await services.close()
  rmSync(work, { recursive: true, force: true })
}
