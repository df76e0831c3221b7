/** Finding a profile inside a repository's profiles/, and suggesting close matches. */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'

/** A profile as the profile input names it. */
export interface Profile {
  /** The repository that holds the profile; undefined means the main repository. */
  readonly repo: string | undefined
  /** Relative to the repository's `profiles/`. */
  readonly path: string
}

/** The profile's directory, or undefined when it does not exist or escapes profiles/. */
export function resolveProfile(repoLocation: string, profile: string): string | undefined {
  try {
    const base = realpathSync(path.join(repoLocation, 'profiles'))
    const dir = realpathSync(path.join(base, profile))
    if (!dir.startsWith(base + path.sep) || !statSync(dir).isDirectory()) return undefined
    return dir
  } catch {
    return undefined
  }
}

/** Profiles a repository offers: profiles.desc when it has one, else directories that look like profiles. */
export function listProfiles(repoLocation: string): string[] {
  const base = path.join(repoLocation, 'profiles')
  const desc = path.join(base, 'profiles.desc')
  if (existsSync(desc)) {
    return readFileSync(desc, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim().split(/\s+/)[1])
      .filter((p): p is string => Boolean(p))
  }
  const found: string[] = []
  const walk = (rel: string, depth: number): void => {
    if (depth > 10) return
    let entries
    try {
      entries = readdirSync(path.join(base, rel), { withFileTypes: true })
    } catch {
      return
    }
    if (
      rel &&
      entries.some((e) => e.isFile() && (e.name === 'make.defaults' || e.name === 'parent'))
    )
      found.push(rel)
    for (const e of entries) if (e.isDirectory()) walk(rel ? `${rel}/${e.name}` : e.name, depth + 1)
  }
  walk('', 0)
  return found
}

/** The candidates closest to what was asked for, best first. */
export function closeMatches(wanted: string, candidates: readonly string[], count = 5): string[] {
  return candidates
    .map((c) => ({ c, d: distance(wanted, c) }))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, count)
    .map((x) => x.c)
}

/** Levenshtein distance. */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost))
    }
    prev = row
  }
  return prev[b.length] ?? 0
}

/** Why the profile is not one of the repository's, with close matches. */
export function missingProfile(profile: Profile, repoName: string, location: string): string {
  const near = closeMatches(profile.path, listProfiles(location))
  const prefix = profile.repo ? `${profile.repo}:` : ''
  return (
    `'${prefix}${profile.path}' is not a profile of repository ${repoName} (${location}/profiles)` +
    (near.length ? `; close matches: ${near.map((n) => prefix + n).join(', ')}` : '')
  )
}
