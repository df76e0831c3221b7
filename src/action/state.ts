/** What the main step hands to the post step: one JSON object in the step's state. */
import * as core from '@actions/core'
import type { Privilege } from '../util/exec.ts'
import { State } from '../util/names.ts'
import type { Tools } from '../host/tools.ts'
import type { Sandbox } from '../host/sandbox.ts'

export interface RunState {
  readonly sandbox: Sandbox
  readonly keepSandbox: boolean
  readonly privilege: Privilege
  readonly tools: Tools
}

export function saveRunState(state: RunState): void {
  core.saveState(State.run, JSON.stringify(state))
}

/** The state main saved, or undefined when main stopped before it had a sandbox. */
export function loadRunState(read: (name: string) => string = core.getState): RunState | undefined {
  const text = read(State.run)
  if (!text) return undefined
  return JSON.parse(text) as RunState
}
