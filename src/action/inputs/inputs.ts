/** Reads every input once, validates all of them, and reports every problem at once. */
import { readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { type Atom, isUseToken, parseAtom } from '../../portage/atoms.ts'
import { splitCommand } from '../../util/argv.ts'
import { checkLxcKey } from '../../lxc/config.ts'
import {
  checkKeepFile,
  checkKeepLocale,
  DEFAULT_MINIMIZE,
  MINIMIZE_LEVELS,
  type MinimizeLevel,
} from '../../minimize/minimize.ts'
import { type PackSettings, parseEpoch, validateCompression } from '../../pack/settings.ts'
import { InputError, type InputProblem } from '../../util/errors.ts'
import { type GatingSettings, parseGatingInputs } from '../../size/baseline.ts'
import type { CacheSettings } from '../../cache/cache.ts'
import { CACHE_ROOTS_ENV, DEFAULT_CACHE_DIR, DEFAULT_PROFILE } from '../names.ts'
import { Input, type InputName } from '../../util/names.ts'
import { userConfigProblems } from '../../portage/config-root.ts'
import { parseSize } from '../../util/units.ts'
import { isWithin } from '../../util/paths.ts'
import { type ImageSettings, parseImageInputs } from './image.ts'

export type HostDeps = 'warn' | 'deny' | 'allow'
export type HostCheck = 'warn' | 'error' | 'off'
export type UploadLogs = 'on-failure' | 'never'

export interface LxcLine {
  readonly key: string
  readonly value: string
}

export interface Profile {
  /** The repository that holds the profile; undefined means the main repository. */
  readonly repo: string | undefined
  /** Relative to the repository's `profiles/`. */
  readonly path: string
}

export interface Inputs {
  readonly packages: readonly Atom[]
  readonly profile: Profile
  readonly config: string | undefined
  readonly repositories: readonly string[]
  readonly use: readonly string[]
  readonly name: string
  /** undefined: the image's `/bin/sh -c true`. */
  readonly smokeTest: readonly string[] | undefined
  readonly smokeTimeoutSeconds: number
  readonly sizeBudget: number | undefined
  readonly lxcConfig: readonly LxcLine[]
  readonly hostDeps: HostDeps
  readonly keepSandbox: boolean
  /** Smoke-test in a user namespace, with the rootfs idmapped. */
  readonly unprivileged: boolean
  /** The seccomp policy file (real path, inside the workspace), or undefined. */
  readonly seccomp: string | undefined
  readonly hostCheck: HostCheck
  readonly uploadLogs: UploadLogs
  readonly cache: CacheSettings
  readonly pack: PackSettings
  /** The source-date-epoch input, checked; '' when unset. */
  readonly sourceDateEpoch: string
  readonly upload: boolean
  /** The tarball's file name without extension, which is also its artifact's name. */
  readonly artifactName: string
  readonly retentionDays: number | undefined
  readonly minimize: MinimizeLevel
  readonly keepFiles: readonly string[]
  readonly keepLocales: readonly string[]
  readonly gating: GatingSettings
  /** files, run, entrypoint, user, workdir, env, smoke-test-user. */
  readonly image: ImageSettings
}

export interface InputContext {
  /** Where relative paths are resolved, and which they must stay inside. */
  readonly workspace: string
  /** Directories besides DEFAULT_CACHE_DIR and the workspace that cache-dir may be below. */
  readonly cacheRoots?: readonly string[]
}

/** What `core.getInput` returns for a name: the trimmed value, '' when unset. */
export type GetInput = (name: InputName) => string

// LXC's own limit is the length of a path component; keep names that also fit a hostname.
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const CONTROL_RE = /[\u0000-\u001f\u007f]/
/** No ebuild file name (PN-PV.ebuild) is longer than a directory entry: 255 bytes. */
const MAX_ATOM = 255

/** A value quoted in a message: a long one is cut, so that the message stays readable. */
function quoted(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 60)}… (${text.length} characters)`
}

const PROFILE_RE =
  /^(?:(?<repo>[A-Za-z0-9_][A-Za-z0-9_-]*):)?(?<path>[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*)$/

export function parseInputs(get: GetInput, context: InputContext): Inputs {
  const problems: InputProblem[] = []
  const problem = (input: InputName, message: string): undefined => {
    problems.push({ input, message })
    return undefined
  }

  const packages = parsePackages(get(Input.packages), problem)
  const profile = parseProfile(get(Input.profile) || DEFAULT_PROFILE, problem)
  const configText = get(Input.config)
  const config = configText
    ? workspacePath(Input.config, configText, 'directory', context, problem)
    : undefined
  // Its links and files are checked now too, before anything is started.
  if (config)
    for (const message of userConfigProblems(config, context.workspace))
      problem(Input.config, message)
  const repositories = words(get(Input.repositories)).flatMap((p) => {
    const dir = workspacePath(Input.repositories, p, 'directory', context, problem)
    return dir ? [dir] : []
  })
  const use = words(get(Input.use))
  for (const token of use) {
    if (!isUseToken(token))
      problem(
        Input.use,
        `'${token}' is not a USE flag; write flags like 'readline', '-nls' or '-*'`,
      )
  }
  const givenName = get(Input.name)
  const name = givenName || defaultName(packages)
  if (!NAME_RE.test(name)) {
    problem(
      Input.name,
      `${givenName ? `'${quoted(name)}' is` : `'${quoted(name)}', the name of the first package, is`} not a container name; use letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit), e.g. bash-minimal`,
    )
  }
  const smokeTest = parseSmokeTest(get(Input.smokeTest), problem)
  const smokeTimeoutSeconds = parseDuration(get(Input.smokeTimeout) || '60')
  if (smokeTimeoutSeconds === undefined)
    problem(
      Input.smokeTimeout,
      `'${get(Input.smokeTimeout)}' is not a duration; write seconds (e.g. 60, 90s) or minutes (e.g. 5m)`,
    )
  const budgetText = get(Input.sizeBudget)
  const sizeBudget = budgetText ? parseSize(budgetText) : undefined
  if (budgetText && sizeBudget === undefined) {
    problem(
      Input.sizeBudget,
      `'${budgetText}' is not a size; write bytes (123456), binary units (20MiB, or 20M as du -h prints it) or decimal units (20MB)`,
    )
  }
  const gating = parseGatingInputs(get, { workspace: context.workspace, sizeBudget })
  problems.push(...gating.problems)
  const unprivileged = parseBoolean(Input.unprivileged, get(Input.unprivileged) || 'false', problem)
  const seccompText = get(Input.seccomp)
  const seccomp = seccompText
    ? workspacePath(Input.seccomp, seccompText, 'file', context, problem)
    : undefined
  if (seccomp) {
    const why = checkSeccompPolicy(seccomp)
    if (why) problem(Input.seccomp, why)
  }
  const image = parseImageInputs(
    get,
    (input, text) => workspacePath(input, text, 'directory', context, problem),
    problem,
    (input, text) => parseBoolean(input, text, problem),
  )
  const lxcConfig = parseLxcConfig(get(Input.lxcConfig), problem, {
    unprivileged: unprivileged === true,
    seccomp: seccomp !== undefined,
    entrypoint: image?.entrypoint !== undefined,
    user: image?.user !== undefined,
    workdir: image?.workdir !== undefined,
  })
  const hostDeps = oneOf(
    Input.hostDeps,
    get(Input.hostDeps) || 'warn',
    ['warn', 'deny', 'allow'] as const,
    problem,
  )
  const keepSandbox = parseBoolean(Input.keepSandbox, get(Input.keepSandbox) || 'false', problem)
  const hostCheck = oneOf(
    Input.hostCheck,
    get(Input.hostCheck) || 'warn',
    ['warn', 'error', 'off'] as const,
    problem,
  )
  const uploadLogs = oneOf(
    Input.uploadLogs,
    get(Input.uploadLogs) || 'on-failure',
    ['on-failure', 'never'] as const,
    problem,
  )
  const cache = parseCache(get, context, problem)
  const packed = validateCompression({
    format: get(Input.format),
    compression: get(Input.compression),
    level: get(Input.compressionLevel),
  })
  for (const p of packed.problems) problem(p.input as InputName, p.message)
  const sourceDateEpoch = get(Input.sourceDateEpoch)
  if (sourceDateEpoch && parseEpoch(sourceDateEpoch) === undefined) {
    problem(
      Input.sourceDateEpoch,
      `'${sourceDateEpoch}' is not a time; write whole seconds since 1970-01-01 UTC, e.g. the output of git log -1 --format=%ct`,
    )
  }
  const upload = parseBoolean(Input.upload, get(Input.upload) || 'true', problem)
  const artifactName = get(Input.artifactName) || name
  if (get(Input.artifactName) && !NAME_RE.test(artifactName)) {
    problem(
      Input.artifactName,
      `'${artifactName}' is not a file name for the tarball; use letters, digits, '.', '_' and '-' (at most 63), e.g. bash-nightly`,
    )
  }
  const minimize = oneOf(
    Input.minimize,
    get(Input.minimize) || DEFAULT_MINIMIZE,
    MINIMIZE_LEVELS,
    problem,
  )
  const keepFiles = get(Input.keepFiles)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  for (const file of keepFiles) {
    const why = checkKeepFile(file)
    if (why) problem(Input.keepFiles, why)
  }
  const keepLocales = words(get(Input.keepLocales))
  for (const locale of keepLocales) {
    const why = checkKeepLocale(locale)
    if (why) problem(Input.keepLocales, why)
  }
  const retentionText = get(Input.retentionDays)
  const retentionDays = retentionText ? Number(retentionText) : undefined
  if (
    retentionText &&
    !(/^\d+$/.test(retentionText) && Number(retentionText) >= 1 && Number(retentionText) <= 90)
  ) {
    problem(
      Input.retentionDays,
      `'${retentionText}' is not a number of days; write a whole number from 1 to 90, or leave it empty for the repository's default`,
    )
  }

  if (
    problems.length ||
    !profile ||
    !hostDeps ||
    keepSandbox === undefined ||
    unprivileged === undefined ||
    !hostCheck ||
    !uploadLogs ||
    smokeTimeoutSeconds === undefined ||
    !cache ||
    !packed.settings ||
    upload === undefined ||
    !minimize ||
    !gating.settings ||
    !image
  ) {
    throw new InputError(problems)
  }
  return {
    packages,
    profile,
    config,
    repositories,
    use,
    name,
    smokeTest,
    smokeTimeoutSeconds,
    sizeBudget,
    lxcConfig,
    hostDeps,
    keepSandbox,
    unprivileged,
    seccomp,
    hostCheck,
    uploadLogs,
    cache,
    pack: packed.settings,
    sourceDateEpoch,
    upload,
    artifactName,
    retentionDays,
    minimize,
    keepFiles,
    keepLocales,
    gating: gating.settings,
    image,
  }
}

function parseCache(
  get: GetInput,
  context: InputContext,
  problem: Problem,
): CacheSettings | undefined {
  const mode = oneOf(
    Input.cache,
    get(Input.cache) || 'actions',
    ['actions', 'local', 'off'] as const,
    problem,
  )
  const saveCache = oneOf(
    Input.saveCache,
    get(Input.saveCache) || 'auto',
    ['auto', 'always', 'never'] as const,
    problem,
  )
  const dir = get(Input.cacheDir) || DEFAULT_CACHE_DIR
  if (
    !path.isAbsolute(dir) ||
    CONTROL_RE.test(dir) ||
    dir.split('/').includes('..') ||
    path.resolve(dir) === '/'
  ) {
    problem(
      Input.cacheDir,
      `'${dir}' must be an absolute directory path without '..', other than /, e.g. ${DEFAULT_CACHE_DIR}`,
    )
  } else if (mode === 'local') {
    const why = cacheDirProblem(dir, context)
    if (why) problem(Input.cacheDir, why)
  }
  const suffix = get(Input.cacheKeySuffix)
  if (!/^[A-Za-z0-9._+-]{0,64}$/.test(suffix)) {
    problem(
      Input.cacheKeySuffix,
      `'${suffix}' may hold only letters, digits, '.', '_', '+' and '-', at most 64, e.g. v2`,
    )
  }
  if (!mode || !saveCache) return undefined
  return { mode, dir: mode === 'local' ? path.resolve(dir) : undefined, saveCache, suffix }
}

type Problem = (input: InputName, message: string) => undefined

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean)
}

function parsePackages(text: string, problem: Problem): Atom[] {
  const tokens = words(text)
  if (!tokens.length)
    problem(
      Input.packages,
      'is required; list package atoms separated by spaces or newlines, e.g. app-shells/bash',
    )
  const atoms: Atom[] = []
  for (const token of tokens) {
    if (token.length > MAX_ATOM) {
      problem(
        Input.packages,
        `'${quoted(token)}' is not a package atom: no package name is that long (at most ${MAX_ATOM} characters)`,
      )
      continue
    }
    const atom = parseAtom(token)
    if (typeof atom === 'string') problem(Input.packages, atom)
    else atoms.push(atom)
  }
  return atoms
}

function parseProfile(text: string, problem: Problem): Profile | undefined {
  const m = PROFILE_RE.exec(text)
  const segments = text.split(/[:/]/)
  if (!m?.groups?.path || segments.includes('..') || segments.includes('.')) {
    return problem(
      Input.profile,
      `'${text}' is not a profile path; write a path inside the repository's profiles/ directory without '..' or a leading '/', e.g. ${DEFAULT_PROFILE} (or repo:path for another repository)`,
    )
  }
  return { repo: m.groups.repo, path: m.groups.path }
}

function defaultName(packages: readonly Atom[]): string {
  return packages[0]?.name.replace(/[^A-Za-z0-9_.-]/g, '-') ?? 'lxcmin'
}

/** A directory or file given relative to the workspace, which it must stay inside (links resolved). */
function workspacePath(
  input: InputName,
  text: string,
  kind: 'directory' | 'file',
  context: InputContext,
  problem: Problem,
): string | undefined {
  if (CONTROL_RE.test(text))
    return problem(
      input,
      'contains control characters; write a plain path relative to the workspace',
    )
  const resolved = path.resolve(context.workspace, text)
  let real: string
  try {
    real = realpathSync(resolved)
    const stat = statSync(real)
    if (kind === 'directory' ? !stat.isDirectory() : !stat.isFile())
      return problem(input, `'${text}' is not a ${kind}; give a ${kind} relative to the workspace`)
  } catch {
    return problem(
      input,
      `'${text}' does not exist (looked for ${resolved}); give a ${kind} relative to the workspace`,
    )
  }
  const workspace = realpathSync(context.workspace)
  if (!isWithin(real, workspace)) {
    return problem(
      input,
      `'${text}' resolves to ${real}, outside the workspace ${workspace}; give a ${kind} inside the workspace`,
    )
  }
  return real
}

/** The path with its deepest existing ancestor's links resolved (the rest does not exist yet). */
function realpathOfAncestor(target: string): string {
  const rest: string[] = []
  let at = path.resolve(target)
  for (;;) {
    try {
      return path.join(realpathSync(at), ...rest.reverse())
    } catch {
      const parent = path.dirname(at)
      if (parent === at) return path.join(at, ...rest.reverse())
      rest.push(path.basename(at))
      at = parent
    }
  }
}

/** Why cache-dir may not be used: it must lie below a directory meant for it, links resolved. */
export function cacheDirProblem(dir: string, context: InputContext): string | undefined {
  const roots = [DEFAULT_CACHE_DIR, context.workspace, ...(context.cacheRoots ?? [])]
    .filter((r) => path.isAbsolute(r) && path.resolve(r) !== '/')
    .map(realpathOfAncestor)
  const real = realpathOfAncestor(dir)
  if (roots.some((root) => isWithin(real, root))) return undefined
  return `'${dir}'${real === path.resolve(dir) ? '' : ` (${real})`} is outside the directories a cache may be kept in (${roots.join(', ')}); use a directory below ${DEFAULT_CACHE_DIR}, e.g. ${DEFAULT_CACHE_DIR}/shared, or ask the runner's administrator to list its parent in ${CACHE_ROOTS_ENV}`
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

function oneOf<T extends string>(
  input: InputName,
  text: string,
  allowed: readonly T[],
  problem: Problem,
): T | undefined {
  const found = allowed.find((a) => a === text)
  return found ?? problem(input, `'${text}' is not one of ${allowed.join(', ')}`)
}

/** The YAML 1.2 core booleans, as `core.getBooleanInput` accepts them. */
function parseBoolean(input: InputName, text: string, problem: Problem): boolean | undefined {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  return problem(input, `'${text}' is not a boolean; write true or false`)
}
