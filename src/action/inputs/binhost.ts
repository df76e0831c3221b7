/** The binary host inputs: binhost, binhost-keys, binhost-verify and binhost-only. */
import { GENTOO_BINHOSTS, gentooBinhost } from '../../portage/binhost.ts'
import type { BinhostSettings } from '../../portage/binhost-stage.ts'
import type { Profile } from '../../portage/profiles.ts'
import { Input } from '../../util/names.ts'
import { lines, quoted, type Reader } from './read.ts'

export interface BinhostInputs {
  readonly binhost: BinhostSettings
}

export function parseBinhostInputs(
  r: Reader,
  profile: Profile | undefined,
): BinhostInputs | undefined {
  const entries = lines(r.get(Input.binhost, 'none'))
  const verify = r.boolean(Input.binhostVerify, 'true')
  const only = r.boolean(Input.binhostOnly, 'false')
  const keys = lines(r.get(Input.binhostKeys)).flatMap((k) => {
    const file = r.workspacePath(Input.binhostKeys, k, 'file')
    return file ? [file] : []
  })
  const hosts: { name: string; url: string }[] = []
  let problems = 0
  const problem = (message: string): void => {
    problems += 1
    r.problem(Input.binhost, message)
  }
  if (entries.includes('none') && entries.length > 1)
    problem("'none' cannot be combined with binary hosts; write none alone, or only the hosts")
  for (const entry of entries.filter((e) => e !== 'none')) {
    if (entry === 'gentoo') {
      const url = profile && gentooBinhost(profile.path)
      if (!url && profile) {
        problem(
          `Gentoo publishes no binary packages for the profile ${profile.path} (it does for ${GENTOO_BINHOSTS.map((h) => h.profiles).join('; ')}); write the URL of a binary host for it instead`,
        )
      } else if (url && !hosts.some((h) => h.name === 'gentoo')) hosts.push({ name: 'gentoo', url })
      continue
    }
    const why = urlProblem(entry)
    if (why) problem(why)
    else
      hosts.push({
        name: `binhost-${hosts.filter((h) => h.name !== 'gentoo').length + 1}`,
        url: entry.replace(/\/+$/, ''),
      })
  }
  const urls = hosts.filter((h) => h.name !== 'gentoo')
  if (verify && urls.length && !keys.length && !r.get(Input.binhostKeys)) {
    r.problem(
      Input.binhostKeys,
      `binhost names ${urls.map((h) => h.url).join(', ')}, whose packages are checked against the keys that signed them: name the signing key's public key file in the workspace (gpg --export --armor <key>), or set binhost-verify: false`,
    )
  }
  if (!hosts.length && !problems) {
    if (r.get(Input.binhostKeys))
      r.problem(
        Input.binhostKeys,
        'is set but binhost is none; set binhost too, or remove binhost-keys',
      )
    if (only)
      r.problem(
        Input.binhostOnly,
        'is true but binhost is none; set binhost too, or binhost-only: false',
      )
  }
  if (verify === undefined || only === undefined || problems) return undefined
  return { binhost: { hosts, keys, verify, only } }
}

/** What is wrong with a binary host URL, if anything. */
function urlProblem(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `'${quoted(text)}' is not none, gentoo or a URL; write e.g. https://binhost.example.org/amd64/23.0`
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `'${quoted(text)}' is a ${url.protocol} URL; write an https:// (or http://) URL of the binary host`
  if (url.username || url.password)
    return `a binary host URL may not carry credentials (they would reach Portage's log); serve the binary host without them, e.g. on the runner's network`
  if (url.search || url.hash)
    return `'${quoted(text)}' has a query or fragment; write the directory that holds the host's Packages index`
  return undefined
}
