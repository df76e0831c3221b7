/**
 * The inputs about the container and its smoke test: smoke-test, smoke-timeout, lxc-config,
 * unprivileged, seccomp; and how the build treats the host: host-deps, host-check, keep-sandbox,
 * upload-logs.
 */
import { readFileSync } from 'node:fs'
import type { HostCheck } from '../../host/check-stage.ts'
import { checkLxcKey } from '../../lxc/config.ts'
import type { HostDeps } from '../../portage/merge.ts'
import type { ImageSettings } from '../../rootfs/image-settings.ts'
import { splitCommand } from '../../util/argv.ts'
import { Input, type InputName } from '../../util/names.ts'
import { CONTROL_RE, type Problem, type Reader } from './read.ts'

export type UploadLogs = 'on-failure' | 'never'

export interface LxcLine {
  readonly key: string
  readonly value: string
}

export interface ContainerInputs {
  /** undefined: the image's `/bin/sh -c true`. */
  readonly smokeTest: readonly string[] | undefined
  readonly smokeTimeoutSeconds: number
  readonly lxcConfig: readonly LxcLine[]
  /** Smoke-test in a user namespace, with the rootfs idmapped. */
  readonly unprivileged: boolean
  /** The seccomp policy file (real path, inside the workspace), or undefined. */
  readonly seccomp: string | undefined
  readonly hostDeps: HostDeps
  readonly hostCheck: HostCheck
  readonly keepSandbox: boolean
  readonly uploadLogs: UploadLogs
}

export function parseContainerInputs(
  r: Reader,
  image: ImageSettings | undefined,
): ContainerInputs | undefined {
  const smokeTest = parseSmokeTest(r.get(Input.smokeTest), r.problem)
  const smokeTimeoutSeconds = parseDuration(r.get(Input.smokeTimeout, '60'))
  if (smokeTimeoutSeconds === undefined)
    r.problem(
      Input.smokeTimeout,
      `'${r.get(Input.smokeTimeout)}' is not a duration; write seconds (e.g. 60, 90s) or minutes (e.g. 5m)`,
    )
  const unprivileged = r.boolean(Input.unprivileged, 'false')
  const seccompText = r.get(Input.seccomp)
  const seccomp = seccompText ? r.workspacePath(Input.seccomp, seccompText, 'file') : undefined
  if (seccomp) {
    const why = checkSeccompPolicy(seccomp)
    if (why) r.problem(Input.seccomp, why)
  }
  const lxcConfig = parseLxcConfig(r.get(Input.lxcConfig), r.problem, {
    unprivileged: unprivileged === true,
    seccomp: seccomp !== undefined,
    entrypoint: image?.entrypoint !== undefined,
    user: image?.user !== undefined,
    workdir: image?.workdir !== undefined,
  })
  const hostDeps = r.oneOf(Input.hostDeps, 'warn', ['warn', 'deny', 'allow'] as const)
  const keepSandbox = r.boolean(Input.keepSandbox, 'false')
  const hostCheck = r.oneOf(Input.hostCheck, 'warn', ['warn', 'error', 'off'] as const)
  const uploadLogs = r.oneOf(Input.uploadLogs, 'on-failure', ['on-failure', 'never'] as const)
  if (
    smokeTimeoutSeconds === undefined ||
    unprivileged === undefined ||
    !hostDeps ||
    keepSandbox === undefined ||
    !hostCheck ||
    !uploadLogs
  )
    return undefined
  return {
    smokeTest,
    smokeTimeoutSeconds,
    lxcConfig,
    unprivileged,
    seccomp,
    hostDeps,
    hostCheck,
    keepSandbox,
    uploadLogs,
  }
}

/** LXC's seccomp policy files start with the format version, 1 or 2 (lxc.container.conf(5)). */
export function checkSeccompPolicy(file: string): string | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    return `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`
  }
  const first = text.split('\n', 1)[0]?.trim()
  if (first !== '1' && first !== '2') {
    return `${file} is not an LXC seccomp policy: its first line must be the format version, 1 or 2 (e.g. '2', then 'denylist' and one syscall per line)`
  }
  return undefined
}

function parseSmokeTest(text: string, problem: Problem): string[] | undefined {
  if (!text) return undefined
  const argv = splitCommand(text)
  if (typeof argv === 'string') {
    return problem(
      Input.smokeTest,
      `'${text}' ${argv}; the command runs without a shell, so write e.g. /bin/sh -c 'echo ok | cat'`,
    )
  }
  if (!argv[0]?.startsWith('/')) {
    return problem(
      Input.smokeTest,
      `'${text}' must start with an absolute path inside the image, e.g. /bin/bash -c 'echo ok'`,
    )
  }
  return argv
}

/** Seconds; `90`, `90s`, `5m`. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m)?$/.exec(text.trim())
  if (!m?.[1]) return undefined
  const value = Number(m[1]) * (m[2] === 'm' ? 60 : 1)
  return value > 0 && value <= 24 * 3600 ? value : undefined
}

/** Keys other inputs set: a line of lxc-config would fight them. */
const KEYS_OF_INPUTS: readonly {
  key: RegExp
  input: InputName
  when: 'unprivileged' | 'seccomp' | 'entrypoint' | 'user' | 'workdir'
}[] = [
  { key: /^lxc\.idmap$/, input: Input.unprivileged, when: 'unprivileged' },
  { key: /^lxc\.rootfs\.options$/, input: Input.unprivileged, when: 'unprivileged' },
  { key: /^lxc\.seccomp\.profile$/, input: Input.seccomp, when: 'seccomp' },
  { key: /^lxc\.init\.cmd$/, input: Input.entrypoint, when: 'entrypoint' },
  { key: /^lxc\.init\.[ug]id$/, input: Input.user, when: 'user' },
  { key: /^lxc\.init\.cwd$/, input: Input.workdir, when: 'workdir' },
]

function parseLxcConfig(
  text: string,
  problem: Problem,
  set: Readonly<Record<(typeof KEYS_OF_INPUTS)[number]['when'], boolean>>,
): LxcLine[] {
  const lines: LxcLine[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const key = (eq < 0 ? line : line.slice(0, eq)).trim()
    const value = eq < 0 ? '' : line.slice(eq + 1).trim()
    const owner = KEYS_OF_INPUTS.find((k) => k.key.test(key) && set[k.when])
    const keyProblem =
      eq < 0
        ? undefined
        : owner
          ? `'${key}' is set by the action from the ${owner.input} input; remove the line`
          : checkLxcKey(key)
    if (eq < 0 || !key.startsWith('lxc.')) {
      problem(
        Input.lxcConfig,
        `'${line}' is not an LXC setting; write one 'lxc.<key> = <value>' per line, e.g. lxc.environment = TERM=dumb`,
      )
    } else if (keyProblem) {
      problem(Input.lxcConfig, keyProblem)
    } else if (CONTROL_RE.test(value)) {
      problem(Input.lxcConfig, `the value of '${key}' contains control characters; remove them`)
    } else {
      lines.push({ key, value })
    }
  }
  return lines
}
