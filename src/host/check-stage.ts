/**
 * The host check as the build runs it: the listing starts after Preflight and runs while the
 * sandbox and the configuration are made and the cache is restored, which change nothing on the
 * host outside the action's directories; it is waited for (the step Host snapshot) before the
 * first emerge. At the end, what changed since is compared.
 */
import path from 'node:path'
import * as core from '@actions/core'
import type { PlanEntry } from '../portage/emerge.ts'
import { hostEroot } from '../portage/merge.ts'
import type { Runner } from '../util/exec.ts'
import { settled } from '../util/promises.ts'
import {
  changeLines,
  changesSince,
  countChanges,
  explainChanges,
  type HostChanges,
  hostMergedPaths,
  type HostSnapshot,
  joinSnapshots,
  snapshotHost,
  watchedRoots,
} from './check.ts'
import type { Finder } from './listing.ts'
import type { Tools } from './tools.ts'
import { escapeHtml } from '../util/markdown.ts'

/** What a change on the host means (the host-check input). */
export type HostCheck = 'warn' | 'error' | 'off'

interface Listed {
  /** The host's EROOT: / on a Gentoo runner. */
  readonly eroot: string
  readonly finder: Finder
  readonly before: HostSnapshot
}

export interface HostWatch {
  /** The listing before the build, under way: settles with it or with its error, never rejects. */
  readonly listed: Promise<{ readonly value: Listed } | { readonly error: unknown }>
}

/**
 * Starts listing the host's system directories and package database, and returns at once.
 * `exclude` are the action's own directories, which may lie inside a watched tree.
 */
export function watchHost(
  runner: Runner,
  tools: Pick<Tools, 'portageq' | 'find'>,
  exclude: readonly string[],
  /** What portageq waits for (another portageq call that the build waits for), never rejecting. */
  after: Promise<unknown> = Promise.resolve(),
): HostWatch {
  const finder: Finder = { runner, find: tools.find }
  const list = async (): Promise<Listed> => {
    // The host's own trees are listed while portageq starts; a Prefix host's EROOT after it.
    const system = snapshotHost(finder, watchedRoots('/'), exclude)
    // Handled: awaited below; a failure of portageq first waits for this find to end.
    const listedSystem = settled(system)
    // On two cores find and three Python processes at once slowed the one the build waits for.
    await after
    const eroot = await hostEroot(runner, tools.portageq).catch(async (error: unknown) => {
      await listedSystem
      throw error
    })
    const own = watchedRoots(eroot).filter((root) => !watchedRoots('/').includes(root))
    const before = own.length
      ? joinSnapshots(await system, await snapshotHost(finder, own, exclude))
      : await system
    return { eroot, finder, before }
  }
  // Settled here, so that a failure waits for its step instead of being an unhandled rejection.
  return {
    listed: list().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
  }
}

/** Waits for the listing: the step Host snapshot, before anything can change the host. */
export async function awaitHostSnapshot(watch: HostWatch): Promise<void> {
  const listed = await watch.listed
  if ('error' in listed) throw listed.error
  const { before } = listed.value
  core.info(`host check: ${before.size} paths listed below ${before.roots.length} directories`)
}

export interface HostCheckResult {
  /** Changes no announced host merge explains: what the check reports. */
  readonly unexplained: HostChanges
  readonly explained: HostChanges
}

/** What changed since the listing, being looked for: settles with it or with its error. */
export type LookingForChanges = Promise<
  { readonly value: HostChanges | undefined } | { readonly error: unknown }
>

/**
 * Starts looking for what changed since the listing (nothing when the listing failed), the check's
 * second half, and returns at once: the caller may go on with what cannot change the host.
 */
export function lookForChanges(watch: HostWatch): LookingForChanges {
  const look = async (): Promise<HostChanges | undefined> => {
    const listed = await watch.listed
    return 'error' in listed ? undefined : changesSince(listed.value.finder, listed.value.before)
  }
  return look().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
}

/**
 * Compares what changed since the listing (looked for now, or since `looking` started); the host
 * merges of the plan (host-deps) explain their own files. Undefined when the listing failed: the
 * build failed with it.
 */
export async function checkHost(
  watch: HostWatch,
  hostMerges: readonly PlanEntry[],
  looking: LookingForChanges = lookForChanges(watch),
): Promise<HostCheckResult | undefined> {
  const listed = await watch.listed
  if ('error' in listed) {
    core.info(
      `host check: not done, the listing before the build failed: ${listed.error instanceof Error ? listed.error.message : String(listed.error)}`,
    )
    return undefined
  }
  const found = await looking
  if ('error' in found) throw found.error
  // Looked for after a listing that did not fail: always there.
  if (!found.value) return undefined
  const { eroot } = listed.value
  const changes = found.value
  const vdb = path.join(eroot, 'var', 'db', 'pkg')
  const owned = hostMergedPaths(
    vdb,
    hostMerges.map((e) => e.cpv),
  )
  const result = explainChanges(changes, hostMerges.length > 0, owned, eroot)
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
