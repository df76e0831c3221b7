/** The minimize step as the build runs it: closure after the merges, explained if the smoke test fails. */
import path from 'node:path'
import * as core from '@actions/core'
import type { Runner } from '../util/exec.ts'
import {
  explainSmokeFailure,
  makeConfFragment,
  minimize,
  type MinimizeLevel,
  type MinimizeResult,
  minimizeSummary,
  minimizeWarnings,
} from './minimize.ts'
import type { Tools } from '../host/tools.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { DEFAULT_SMOKE_TEST, type SmokeResult } from '../lxc/smoke.ts'

export { makeConfFragment }

export interface MinimizeRequest {
  readonly minimize: MinimizeLevel
  readonly smokeTest: readonly string[] | undefined
  readonly keepFiles: readonly string[]
}

/** What the build added besides the packages, which closure keeps too. */
export interface Additions {
  /** Inside paths the files input added. */
  readonly added: readonly string[]
  readonly entrypoint: readonly string[] | undefined
}

/** none and standard did their work at merge time (make.conf); closure removes what the entry points do not need. */
export async function minimizeRootfs(
  runner: Runner,
  sandbox: Sandbox,
  tools: Pick<Tools, 'rm' | 'cp' | 'ldconfig'>,
  request: MinimizeRequest,
  additions: Additions = { added: [], entrypoint: undefined },
): Promise<MinimizeResult> {
  const result = await minimize(runner, {
    level: request.minimize,
    rootfs: sandbox.rootfs,
    command: request.smokeTest ?? DEFAULT_SMOKE_TEST,
    keepFiles: request.keepFiles,
    added: additions.added,
    entrypoint: additions.entrypoint,
    workDir: path.join(sandbox.tmpdir, 'minimize'),
    tools: { rm: tools.rm, cp: tools.cp, ...(tools.ldconfig ? { ldconfig: tools.ldconfig } : {}) },
  })
  for (const line of minimizeSummary(result)) core.info(line)
  for (const line of minimizeWarnings(result)) core.warning(line, { title: 'minimize' })
  return result
}

/** A smoke test that failed after closure says what closure removed and how to keep it. */
export function explained(smoke: SmokeResult, minimized: MinimizeResult): SmokeResult {
  if (smoke.passed) return smoke
  const why = explainSmokeFailure(minimized, smoke.output)
  return why ? { ...smoke, reason: `${smoke.reason}\n${why}` } : smoke
}
