/**
 * The image cache's key: everything that makes a finished rootfs what it is. A build whose key
 * matches a saved image restores it instead of merging again (action/image-cache.ts), so the key
 * holds, besides the binary packages' key (architecture, CHOST, profile, the effective Portage
 * config, the repositories' state, the request):
 * - the resolved plan: every package's version, slot, repository, root and USE (what Portage
 *   would merge now, which a new ebuild or a changed dependency changes without any input doing so);
 * - the inputs that shape the rootfs (files, run, minimize, accounts, the container's settings the
 *   run commands see, ...), and the content of the files input's directory;
 * - the action's own code: a new version of the action may build a different image.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { PlanEntry } from '../portage/emerge.ts'
import { segment } from './keys.ts'

export interface ImageKeyParts {
  /** The binary packages' key of this build. */
  readonly binpkgsKey: string
  readonly name: string
  readonly suffix: string
  readonly plan: readonly PlanEntry[]
  /** The rootfs-shaping inputs, as plain data. */
  readonly inputs: unknown
  /** A hash of the files input's directory, when it is set. */
  readonly files: string | undefined
  /** A hash of the action's own code (ownCode()). */
  readonly code: string
}

const VERSION = 'v1'

export function imageKey(parts: ImageKeyParts): string {
  const salt = parts.suffix ? `${segment(parts.suffix, 64)}-` : ''
  const digest = createHash('sha256')
    .update(
      stableJson({
        binpkgs: parts.binpkgsKey,
        plan: planSignature(parts.plan),
        inputs: parts.inputs,
        files: parts.files ?? null,
        code: parts.code,
      }),
    )
    .digest('hex')
    .slice(0, 32)
  return `lxcmin-image-${VERSION}-${salt}${segment(parts.name, 100)}-${digest}`
}

/**
 * Per planned package, what decides its files: the root (the host or the image, not the sandbox's
 * path, which is new every run), cpv, slot, repository and its USE (and USE expand) variables. Not
 * whether it comes from a binary package or an ebuild (nor a binary package's build id), nor
 * download sizes, nor the merge order.
 */
export function planSignature(plan: readonly PlanEntry[]): string[] {
  return plan
    .map((e) => {
      const vars = [...e.details.matchAll(/\b([A-Z][A-Z0-9_]*)="([^"]*)"/g)]
        .map(
          ([, name, value]) =>
            `${name}="${(value ?? '').split(/\s+/).filter(Boolean).sort().join(' ')}"`,
        )
        .sort()
      // binpkg-multi-instance names a binary package cpv-BUILD_ID; a version never ends so.
      const cpv = e.kind === 'binary' ? e.cpv.replace(/-\d+$/, '') : e.cpv
      const kind = e.kind === 'uninstall' || e.kind === 'blocks' ? `${e.kind} ` : ''
      const root = e.root === '/' ? 'host' : 'image'
      return `${kind}${root} ${cpv}:${e.slot ?? ''}::${e.repo ?? ''} ${vars.join(' ')}`.trimEnd()
    })
    .sort()
}

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return Object.fromEntries([...(v as Map<string, unknown>)].sort())
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        ),
      )
    return v
  })
}

/** A hash of the running action's code: the bundle (dist/main.js) on a runner. */
export function ownCode(moduleUrl: string = import.meta.url): string {
  return createHash('sha256')
    .update(readFileSync(fileURLToPath(moduleUrl)))
    .digest('hex')
    .slice(0, 16)
}
