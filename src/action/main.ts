/**
 * The build, as the list of steps the README describes (each step is one log group; the steps
 * themselves are in build.ts and deliver.ts). What the failure path needs is what the steps have
 * returned so far: the host (to check it and upload logs), the sandbox, and the plan's host merges.
 */
import * as core from '@actions/core'
import { Input } from '../util/names.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { prepareSandbox } from '../host/sandbox.ts'
import { assemble, begin, type Begun, prepare } from './build.ts'
import { deliver, Delivered, hostCheck, attachLogs } from './deliver.ts'
import { type RunEnv, runEnv } from './env.ts'
import { reportError } from './errors.ts'
import { type Inputs, parseInputs } from './inputs/inputs.ts'
import { saveRunState } from './state.ts'
import { step } from './step.ts'

export async function run(env: RunEnv = runEnv()): Promise<void> {
  let inputs: Inputs | undefined
  let begun: Begun | undefined
  let sandbox: Sandbox | undefined
  let hostMerges: readonly PlanEntry[] = []
  try {
    // The runner masks secrets it passes, not a token written into the workflow: mask it here too.
    const token = core.getInput(Input.registryToken)
    if (token) core.setSecret(token)
    inputs = parseInputs((name) => core.getInput(name), env)
    const settings = inputs
    begun = await begin(settings, env) // Preflight, Host snapshot
    const { host, runner } = begun
    sandbox = await step('Sandbox', () =>
      prepareSandbox(runner, host, settings.name, env, (created) =>
        saveRunState({
          sandbox: created,
          keepSandbox: settings.keepSandbox,
          privilege: host.privilege,
          tools: host.tools,
        }),
      ),
    )
    // LXC config, Portage config root, Restore cache, Plan
    const prepared = await prepare(settings, env, begun, sandbox)
    hostMerges = prepared.plan.onHost
    // Emerge (baselayout, libc, request), Finish, Files, Run, Entry point, Minimize, Smoke
    // test, Pack, Measure, Size report
    const built = await assemble(settings, env, begun, sandbox, prepared)
    // Upload, Size checks, Upload size report, Host check; outputs and summary
    await deliver(settings, env, begun, built)
    // Only a build that passed everything leaves an image for the image cache.
    prepared.cache.markFinished()
  } catch (error) {
    if (inputs && begun && !(error instanceof Delivered)) {
      // The build itself failed: what it did to the host, and its logs, still count.
      const host = await hostCheck(begun, hostMerges, inputs.hostCheck)
      if (host.failure) core.error(host.failure)
      if (sandbox) await attachLogs(inputs, env, begun, sandbox)
    }
    reportError(error instanceof Delivered ? error.cause : error)
  }
}
