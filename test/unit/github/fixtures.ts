/** Reports, a run's context and a recording log for the github and size tests. */
import type { GitHubEnv } from '../../../src/github/client.ts'
import type { GateLog } from '../../../src/size/gate.ts'
import {
  emptyTrimmable,
  type PackageSize,
  serializeReport,
  SIZE_REPORT_SCHEMA,
  type SizeReport,
} from '../../../src/size/report.ts'
import type { RestServer } from '../../services/rest.ts'

export const MiB = 1024 * 1024

export function pkg(name: string, bytes: number, version = '1.0'): PackageSize {
  return {
    category: 'app-misc',
    name,
    version,
    slot: '0',
    repository: 'lxcmin-gentoo',
    use: [],
    bytes,
    files: 1,
    trimmable: emptyTrimmable(),
  }
}

export function sizeReport(packages: PackageSize[], commit: string | null = null): SizeReport {
  return {
    schema: SIZE_REPORT_SCHEMA,
    name: 'hello',
    profile: 'default/linux/amd64/23.0/no-multilib',
    commit,
    ref: 'main',
    configHash: null,
    totalBytes: packages.reduce((s, p) => s + p.bytes, 0) + 4096,
    packages,
    unowned: { bytes: 4096, files: 1, trimmable: emptyTrimmable(), largest: [] },
    trimmable: emptyTrimmable(),
  }
}

export const PLAIN = sizeReport([pkg('lxcmin-hello', 14_000)], 'a'.repeat(40))
export const EXTRA = sizeReport(
  [pkg('lxcmin-hello', 14_100), pkg('lxcmin-extra', MiB)],
  'b'.repeat(40),
)

/** A pull request run of ci.yml in o/r, with the API at the stand-in. */
export function env(rest: RestServer, extra: Partial<GitHubEnv> = {}): GitHubEnv {
  return {
    apiUrl: rest.url,
    serverUrl: 'https://github.com',
    repository: { owner: rest.owner, repo: rest.repo },
    workflowFile: 'ci.yml',
    runId: '999999',
    eventName: 'pull_request',
    baseRef: 'main',
    sha: 'c'.repeat(40),
    refName: '7/merge',
    event: { pull_request: { number: 7, head: { repo: { full_name: 'o/r' } } } },
    ...extra,
  }
}

export function recorder(): GateLog & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    notice: (m) => lines.push(`notice: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
  }
}

/** An artifact uploaded with skipArchive: the JSON itself. */
export const json = (r: SizeReport) => ({
  bytes: Buffer.from(serializeReport(r)),
  contentType: 'application/json',
})
