/**
 * The Portage config root for the container (PORTAGE_CONFIGROOT): a clean one, not a copy of the
 * host's. make.conf from the inputs, make.profile, the host's repositories and the workspace's,
 * then the user's `config` directory laid over it.
 */
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { InputError } from '../util/errors.ts'
import type { Profile } from './profiles.ts'
import { Input } from '../util/names.ts'
import { missingProfile, resolveProfile } from './profiles.ts'
import { parseReposConf, reposConfText, repositoryName } from './repos.ts'
import { isWithin } from '../util/paths.ts'
import { type Binhost, binreposConfText } from './binhost.ts'

export interface SandboxDirs {
  readonly distdir: string
  readonly pkgdir: string
  readonly tmpdir: string
  /** Build logs (PORT_LOGDIR below it) and emerge.log. */
  readonly logdir: string
}

export interface MakeConfSpec {
  readonly use: readonly string[]
  readonly jobs: number
  readonly dirs: SandboxDirs
  /** Make binary packages of everything built, for the cache. */
  readonly buildpkg: boolean
  /** More make.conf lines of the action's own (minimize), before the user's files. */
  readonly extra: string
  /** Binary hosts, and the keyring their packages are verified against. */
  readonly binhost?: BinhostConfig | undefined
}

export interface BinhostConfig {
  readonly hosts: readonly Binhost[]
  /** BINPKG_GPG_VERIFY_GPG_HOME: the action's keyring; undefined when nothing is verified. */
  readonly gpgHome: string | undefined
  /** Whether gpg may verify as nobody (see keyring.ts). */
  readonly dropPrivileges: boolean
}

/** make.conf lines for the binary hosts: the action's keyring, no trust helper. */
export function binhostMakeConf(binhost: BinhostConfig | undefined): string[] {
  if (!binhost?.hosts.length) return []
  return [
    // getuto works under ${ROOT}: the action made the keyring itself (keyring.ts).
    'PORTAGE_TRUST_HELPER="true"',
    ...(binhost.gpgHome ? [`BINPKG_GPG_VERIFY_GPG_HOME="${binhost.gpgHome}"`] : []),
    ...(binhost.gpgHome && !binhost.dropPrivileges
      ? ['GPG_VERIFY_USER_DROP=""', 'GPG_VERIFY_GROUP_DROP=""']
      : []),
  ]
}

/** make.conf from the inputs. Every directory Portage writes to is inside the sandbox. */
export function makeConfText(spec: MakeConfSpec): string {
  return [
    '# Written by lxcmin from the action inputs; files of the config input come after this one.',
    `USE="${spec.use.join(' ')}"`,
    `MAKEOPTS="-j${spec.jobs}"`,
    `DISTDIR="${spec.dirs.distdir}"`,
    `PKGDIR="${spec.dirs.pkgdir}"`,
    `PORTAGE_TMPDIR="${spec.dirs.tmpdir}"`,
    // Not the host's /var/cache/edb/dep, /var/log/portage and /var/log/emerge.log.
    `PORTAGE_DEPCACHEDIR="${path.join(spec.dirs.tmpdir, 'dep')}"`,
    `PORT_LOGDIR="${path.join(spec.dirs.logdir, 'portage')}"`,
    `EMERGE_LOG_DIR="${spec.dirs.logdir}"`,
    ...(spec.buildpkg ? ['FEATURES="${FEATURES} buildpkg"'] : []),
    ...binhostMakeConf(spec.binhost),
    spec.extra,
  ].join('\n')
}

/** Lines of the generated make.conf that name per-run directories: they change nothing built. */
export const VOLATILE_LINES =
  /^(?:(?:DISTDIR|PKGDIR|PORTAGE_TMPDIR|PORTAGE_DEPCACHEDIR|PORT_LOGDIR|EMERGE_LOG_DIR|MAKEOPTS|BINPKG_GPG_VERIFY_GPG_HOME)=|location = )/

/** Where a config root keeps its Portage configuration. */
export function etcPortage(configRoot: string): string {
  return path.join(configRoot, 'etc', 'portage')
}

/** Variables that decide where Portage installs: only the action may set them. */
const ROOT_VARIABLES =
  /^\s*(?:export\s+)?(ROOT|EROOT|SYSROOT|ESYSROOT|BROOT|EPREFIX|PORTAGE_CONFIGROOT|PORTAGE_TMPDIR|DISTDIR|PKGDIR|PORT_LOGDIR|EMERGE_LOG_DIR|PORTAGE_DEPCACHEDIR|PORTAGE_BINHOST)\s*=/m

export interface ConfigRootSpec extends MakeConfSpec {
  readonly configRoot: string
  readonly profile: Profile
  /** `portageq repos_config /`: the host's repositories. */
  readonly hostRepos: string
  /** Extra repository directories from the workspace. */
  readonly repositories: readonly string[]
  /** The user's config directory, laid over the generated one. */
  readonly userConfig: string | undefined
  readonly workspace: string
}

export interface ConfigRoot {
  readonly configRoot: string
  readonly profileDir: string
  /** Every repository the build sees, by name. */
  readonly repos: ReadonlyMap<string, string>
}

export function writeConfigRoot(spec: ConfigRootSpec): ConfigRoot {
  const etc = etcPortage(spec.configRoot)
  mkdirSync(path.join(etc, 'make.conf'), { recursive: true })
  mkdirSync(path.join(etc, 'repos.conf'), { recursive: true })
  writeFileSync(path.join(etc, 'make.conf', '00-lxcmin.conf'), makeConfText(spec))
  if (spec.binhost?.hosts.length) {
    mkdirSync(path.join(etc, 'binrepos.conf'), { recursive: true })
    writeFileSync(
      path.join(etc, 'binrepos.conf', '00-lxcmin.conf'),
      binreposConfText(spec.binhost.hosts),
    )
  }

  const host = parseReposConf(spec.hostRepos)
  writeFileSync(path.join(etc, 'repos.conf', '00-host.conf'), spec.hostRepos)
  const repos = new Map(host.locations)
  const extra = spec.repositories.map((location) => {
    const name = repositoryName(location)
    if (!name) {
      throw new InputError([
        {
          input: Input.repositories,
          message: `${location} is not an ebuild repository (no profiles/repo_name or repo-name in metadata/layout.conf)`,
        },
      ])
    }
    if (repos.has(name)) {
      throw new InputError([
        {
          input: Input.repositories,
          message: `${location} is named '${name}', like a repository the host already has (${repos.get(name) ?? ''}); give it another repo-name`,
        },
      ])
    }
    repos.set(name, location)
    return { name, location }
  })
  if (extra.length)
    writeFileSync(path.join(etc, 'repos.conf', '10-workspace.conf'), reposConfText(extra))

  const profileDir = findProfile(spec.profile, host.mainRepo, repos)
  symlinkSync(profileDir, path.join(etc, 'make.profile'))
  if (spec.userConfig) layUserConfig(spec.userConfig, etc, spec.workspace)
  return { configRoot: spec.configRoot, profileDir, repos }
}

function findProfile(
  profile: Profile,
  mainRepo: string | undefined,
  repos: ReadonlyMap<string, string>,
): string {
  const repoName = profile.repo ?? mainRepo
  const location = repoName === undefined ? undefined : repos.get(repoName)
  if (repoName === undefined || location === undefined) {
    const known = [...repos.keys()].join(', ') || 'none'
    throw new InputError([
      {
        input: Input.profile,
        message: `repository '${repoName ?? '(main-repo)'}' is not configured on this host (repositories: ${known}); write repo:path with one of them`,
      },
    ])
  }
  const dir = resolveProfile(location, profile.path)
  if (dir) return dir
  throw new InputError([
    { input: Input.profile, message: missingProfile(profile, repoName, location) },
  ])
}

/**
 * Copies the user's config directory over the generated one. make.conf (file or directory) and
 * repos.conf become fragments after ours; make.profile is refused (the profile input sets it);
 * links may not lead outside the workspace.
 */
function layUserConfig(source: string, etc: string, workspaceDir: string): void {
  const problems = layOrCheck(source, etc, workspaceDir)
  if (problems.length)
    throw new InputError(problems.map((message) => ({ input: Input.config, message })))
}

/** What is wrong with a config directory, checked without copying anything: for action/inputs/inputs.ts. */
export function userConfigProblems(source: string, workspaceDir: string): string[] {
  return layOrCheck(source, undefined, workspaceDir)
}

/** Copies the config directory over etc, or with etc undefined only checks it; returns the problems. */
function layOrCheck(source: string, etc: string | undefined, workspaceDir: string): string[] {
  const problems: string[] = []
  const into = etc ?? ''
  const workspace = realpathSync(workspaceDir)
  const copy = (from: string, to: string, rel: string): void => {
    let real: string
    try {
      real = realpathSync(from)
    } catch {
      problems.push(
        `${rel} is a link to nothing; remove it or make it point to a file in the workspace`,
      )
      return
    }
    if (!isWithin(real, workspace)) {
      problems.push(
        `${rel} leads to ${real}, outside the workspace; copy the file into the config directory instead`,
      )
      return
    }
    if (lstatSync(real).isDirectory()) {
      if (etc !== undefined) mkdirSync(to, { recursive: true })
      for (const entry of readdirSync(real).sort())
        copy(path.join(from, entry), path.join(to, entry), `${rel}/${entry}`)
    } else if (rel.startsWith('make.conf') && ROOT_VARIABLES.test(readFileSync(real, 'utf8'))) {
      const variable = ROOT_VARIABLES.exec(readFileSync(real, 'utf8'))?.[1] ?? 'ROOT'
      problems.push(
        `${rel} sets ${variable}, which only the action may set (it keeps the root and every directory Portage writes inside the sandbox); remove that line`,
      )
    } else if (etc !== undefined) {
      copyFileSync(real, to)
    }
  }
  for (const entry of readdirSync(source).sort()) {
    const from = path.join(source, entry)
    if (entry === 'make.profile') {
      problems.push(
        'make.profile is set by the profile input; remove it from the config directory and set profile instead',
      )
    } else if (entry === 'binrepos.conf') {
      problems.push(
        "binrepos.conf is written from the binhost input (with a location inside the action's cache and the signatures checked); remove it from the config directory and set binhost instead",
      )
    } else if (entry === 'make.conf' || entry === 'repos.conf') {
      // Ours is a directory of fragments; the user's come after it, flattened in their order.
      for (const file of fragments(from)) {
        copy(
          path.join(from, file),
          path.join(
            into,
            entry,
            `50-config${file ? `-${file.replaceAll('/', '-').replace(/\.conf$/, '')}` : ''}.conf`,
          ),
          `${entry}/${file}`,
        )
      }
    } else {
      copy(from, path.join(into, entry), entry)
    }
  }
  return problems
}

/** The files of a make.conf or repos.conf, which may be one file ('') or a directory tree. */
function fragments(from: string, rel = ''): string[] {
  const full = path.join(from, rel)
  if (!lstatSync(realpathSync(full)).isDirectory()) return [rel]
  return readdirSync(full)
    .sort()
    .filter((e) => !e.startsWith('.') && !e.endsWith('~'))
    .flatMap((e) => fragments(from, rel ? `${rel}/${e}` : e))
}
