/** The host check as the build runs it: a snapshot after Preflight, a comparison at the end. */
import path from 'node:path'
import * as core from '@actions/core'
import type { PlanEntry } from '../portage/emerge.ts'
import { hostEroot } from '../portage/merge.ts'
import type { Runner } from '../util/exec.ts'
import {
  changeLines,
  countChanges,
  diffHost,
  explainChanges,
  type HostChanges,
  hostMergedPaths,
  type HostSnapshot,
  snapshotHost,
  watchedRoots,
} from './check.ts'
import { escapeHtml } from '../util/markdown.ts'

/** What a change on the host means (the host-check input). */
export type HostCheck = 'warn' | 'error' | 'off'

export interface HostWatch {
  /** The host's EROOT: / on a Gentoo runner. */
  readonly eroot: string
  readonly roots: readonly string[]
  /** The action's own directories, which may lie inside a watched tree. */
  readonly exclude: readonly string[]
  readonly before: HostSnapshot
}

/** Lists the host's system directories and package database before anything is built. */
export async function watchHost(
  runner: Runner,
  portageq: string,
  exclude: readonly string[],
): Promise<HostWatch> {
  const eroot = await hostEroot(runner, portageq)
  const roots = watchedRoots(eroot)
  const before = snapshotHost(roots, exclude)
  core.info(`host check: ${before.size} paths listed below ${roots.length} directories`)
  return { eroot, roots, exclude, before }
}

export interface HostCheckResult {
  /** Changes no announced host merge explains: what the check reports. */
  readonly unexplained: HostChanges
  readonly explained: HostChanges
}

/** Lists again and compares; the host merges of the plan (host-deps) explain their own files. */
export function checkHost(watch: HostWatch, hostMerges: readonly PlanEntry[]): HostCheckResult {
  const changes = diffHost(watch.before, snapshotHost(watch.roots, watch.exclude))
  const vdb = path.join(watch.eroot, 'var', 'db', 'pkg')
  const owned = hostMergedPaths(
    vdb,
    hostMerges.map((e) => e.cpv),
  )
  const result = explainChanges(changes, hostMerges.length > 0, owned, watch.eroot)
  const explained = countChanges(result.explained)
  if (explained) {
    core.info(
      `host check: ${explained} changes come from the build dependencies merged into the host (${hostMerges.map((e) => e.cpv).join(', ')}):\n${changeLines(result.explained).join('\n')}`,
    )
  }
  const unexplained = countChanges(result.unexplained)
  core.info(`host check: ${unexplained ? `${unexplained} unexplained changes` : 'no changes'}`)
  return result
}

/** The check's message when something changed, for a warning or the step's error. */
export function hostCheckMessage(result: HostCheckResult): string | undefined {
  const count = countChanges(result.unexplained)
  if (!count) return undefined
  return `The build changed ${count} paths on the host outside its sandbox and cache directories (host-check):\n${changeLines(result.unexplained).join('\n')}`
}

/** Reports the check: a warning for warn, the message to fail with for error. */
export function reportHostCheck(
  result: HostCheckResult | undefined,
  mode: HostCheck,
): { readonly failure: string | undefined; readonly changed: readonly string[] } {
  const message = result && hostCheckMessage(result)
  if (!result || !message) return { failure: undefined, changed: [] }
  const changed = [
    ...result.unexplained.added,
    ...result.unexplained.removed,
    ...result.unexplained.changed,
  ].sort()
  if (mode === 'error') return { failure: message, changed }
  core.warning(message)
  return { failure: undefined, changed }
}

/** The job summary's section on the host check: empty when nothing changed. */
export function hostSummary(changed: readonly string[]): string {
  if (!changed.length) return ''
  const shown = changed.slice(0, 20).map((f) => `- <code>${escapeHtml(f)}</code>`)
  const more =
    changed.length > shown.length ? [`- … and ${changed.length - shown.length} more`] : []
  return `\n### Host check\n\nThe build changed these paths on the runner outside its sandbox:\n\n${[...shown, ...more].join('\n')}\n`
}
