/**
 * The first merge (sys-apps/baselayout, into the empty rootfs) begun while the plan's pretend
 * ends: the pretend plans on an empty root of its own, the merge leaves a core idle, and nothing
 * the plan decides changes that merge unless it stops the build (an unknown atom) or makes it
 * unnecessary (an image cache hit). Then the merge is stopped and what it wrote is thrown away.
 * Its output is held until its own step opens, so that the log reads in the documented order.
 */
import * as core from '@actions/core'
import { type Merged, type MergeControl, mergeWithFallback, type Target } from '../portage/merge.ts'
import type { Runner } from '../util/exec.ts'
import { settled } from '../util/promises.ts'

export interface EarlyMerge {
  /** In its step: what it printed so far, then the rest as it comes, and what it merged. */
  finish(): Promise<Merged>
  /** Stops it and waits for emerge to end; what it printed is dropped. */
  stop(why: string): Promise<void>
}

/** Text written now and shown later, in order, once released; then written at once. */
export function holdOutput(write: (text: string) => void): {
  readonly write: (text: string) => void
  readonly release: () => void
} {
  let held: string[] | undefined = []
  return {
    write: (text) => {
      if (held) held.push(text)
      else write(text)
    },
    release: () => {
      const texts = held ?? []
      held = undefined
      for (const text of texts) write(text)
    },
  }
}

/**
 * Begins the merge of atoms at once. `runnerFor` makes the runner its output goes through;
 * `rejectBinaries` is the fallback's (mergeWithFallback).
 */
export function beginMerge(
  runnerFor: (write: (text: string) => void) => Runner,
  target: Target,
  atoms: readonly string[],
  rejectBinaries: () => Promise<void>,
  write: (text: string) => void = (text) => process.stdout.write(text),
): EarlyMerge {
  const held = holdOutput(write)
  const controller = new AbortController()
  const started = Date.now()
  const control: MergeControl = {
    say: (line) => held.write(`${line}\n`),
    signal: controller.signal,
  }
  const merging = mergeWithFallback(runnerFor(held.write), target, atoms, rejectBinaries, control)
  // Handled: read by finish() or waited for by stop().
  const ended = settled(merging)
  return {
    finish() {
      core.info(`(begun ${((Date.now() - started) / 1000).toFixed(1)} s ago, with the plan)`)
      held.release()
      return merging
    },
    async stop(why) {
      controller.abort()
      await ended
      core.info(`The merge of ${atoms.join(' ')} begun with the plan was stopped: ${why}`)
    },
  }
}
