/**
 * The inputs that say what to build: packages, profile, config, repositories, use and name.
 */
import { type Atom, isUseToken, parseAtom } from '../../portage/atoms.ts'
import { userConfigProblems } from '../../portage/config-root.ts'
import { missingProfile, type Profile, resolveProfile } from '../../portage/profiles.ts'
import { repositoryName } from '../../portage/repos.ts'
import { Input } from '../../util/names.ts'
import { DEFAULT_PROFILE } from '../names.ts'
import { NAME_RE, type Problem, quoted, type Reader, words } from './read.ts'

/** No ebuild file name (PN-PV.ebuild) is longer than a directory entry: 255 bytes. */
const MAX_ATOM = 255

const PROFILE_RE =
  /^(?:(?<repo>[A-Za-z0-9_][A-Za-z0-9_-]*):)?(?<path>[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*)$/

export interface BuildInputs {
  readonly packages: readonly Atom[]
  readonly profile: Profile
  readonly config: string | undefined
  readonly repositories: readonly string[]
  readonly use: readonly string[]
  readonly name: string
}

export function parseBuildInputs(r: Reader): BuildInputs | undefined {
  const packages = parsePackages(r.get(Input.packages), r.problem)
  const profile = parseProfile(r.get(Input.profile, DEFAULT_PROFILE), r.problem)
  const configText = r.get(Input.config)
  const config = configText ? r.workspacePath(Input.config, configText, 'directory') : undefined
  // Its links and files are checked now too, before anything is started.
  if (config)
    for (const message of userConfigProblems(config, r.context.workspace))
      r.problem(Input.config, message)
  const repositories = r.words(Input.repositories).flatMap((p) => {
    const dir = r.workspacePath(Input.repositories, p, 'directory')
    return dir ? [dir] : []
  })
  const use = r.words(Input.use)
  for (const token of use) {
    if (!isUseToken(token))
      r.problem(
        Input.use,
        `'${token}' is not a USE flag; write flags like 'readline', '-nls' or '-*'`,
      )
  }
  const givenName = r.get(Input.name)
  const name = givenName || defaultName(packages)
  if (!NAME_RE.test(name)) {
    r.problem(
      Input.name,
      `${givenName ? `'${quoted(name)}' is` : `'${quoted(name)}', the name of the first package, is`} not a container name; use letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit), e.g. bash-minimal`,
    )
  }
  // A profile of one of the repositories input's repositories can be checked now; one of the
  // host's repositories only once Preflight has found Portage (the Portage config root step).
  const own = profile?.repo
    ? repositories.find((dir) => repositoryName(dir) === profile.repo)
    : undefined
  if (profile?.repo && own && !resolveProfile(own, profile.path))
    r.problem(Input.profile, missingProfile(profile, profile.repo, own))
  if (!profile) return undefined
  return { packages, profile, config, repositories, use, name }
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
