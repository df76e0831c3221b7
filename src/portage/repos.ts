/** repos.conf as Portage prints and reads it (portage(5), "repos.conf"). */
import { readFileSync } from 'node:fs'
import path from 'node:path'

export interface RepoConfig {
  readonly mainRepo: string | undefined
  /** Repository name -> location. */
  readonly locations: ReadonlyMap<string, string>
}

/** Parses the ini text of `portageq repos_config /` (or a repos.conf file). */
export function parseReposConf(text: string): RepoConfig {
  let section: string | undefined
  let mainRepo: string | undefined
  const locations = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header?.[1]) {
      section = header[1].trim()
      continue
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line)
    if (!kv?.[1] || section === undefined) continue
    if (section === 'DEFAULT' && kv[1] === 'main-repo') mainRepo = kv[2]
    else if (kv[1] === 'location' && kv[2]) locations.set(section, kv[2])
  }
  return { mainRepo, locations }
}

/**
 * A repository's name as Portage reads it: `repo-name` in metadata/layout.conf wins over
 * profiles/repo_name. Undefined when the directory is not a repository.
 */
export function repositoryName(dir: string): string | undefined {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(path.join(dir, file), 'utf8')
    } catch {
      return undefined
    }
  }
  const layout = /^\s*repo-name\s*=\s*(\S+)\s*$/m.exec(read('metadata/layout.conf') ?? '')?.[1]
  const name = layout ?? read('profiles/repo_name')?.trim().split('\n')[0]?.trim()
  return name && /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(name) ? name : undefined
}

/** A repos.conf section for each extra repository. */
export function reposConfText(repos: readonly { name: string; location: string }[]): string {
  return repos.map((r) => `[${r.name}]\nlocation = ${r.location}\n`).join('\n')
}
