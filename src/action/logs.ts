/**
 * A failed build's logs as an artifact: Portage's build logs (PORT_LOGDIR), emerge.log and the
 * smoke test's LXC log, all of which the build keeps in the sandbox's logs directory. (With
 * PORT_LOGDIR set, a build directory's temp/build.log is only a link to the log there.)
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { type RunLinks, type Uploaded, uploadFiles } from '../github/artifacts.ts'
import type { Runner } from '../util/exec.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { skipUnreadable, walkTree } from '../util/walk.ts'

/** Regular files below dir, recursively, sorted; links are not followed. */
export function filesBelow(dir: string): string[] {
  const files: string[] = []
  walkTree(
    dir,
    ({ path: inside, host, stats }) => {
      if (inside !== '/' && stats.isFile()) files.push(host)
    },
    skipUnreadable,
  )
  return files.sort()
}

/** The files to attach: the non-empty files in the logs directory. */
export function logFiles(sandbox: Pick<Sandbox, 'logs'>): string[] {
  return filesBelow(sandbox.logs).filter((f) => {
    try {
      return statSync(f).size > 0
    } catch {
      return false
    }
  })
}

/** Characters the artifact service refuses in a path (NTFS's), and Portage puts ':' in log names. */
export function artifactPath(relative: string): string {
  return relative.replace(/[":<>|*?\r\n]/g, '_')
}

/**
 * Copies the files below `from` into `root` under names the artifact service takes, keeping their
 * paths relative to `from` (logs/…).
 */
export function stageLogs(
  files: readonly string[],
  from: string,
  root: string,
): { readonly root: string; readonly files: string[] } {
  const staged = files.map((file) => {
    const to = path.join(root, artifactPath(path.relative(from, file)))
    mkdirSync(path.dirname(to), { recursive: true })
    copyFileSync(file, to)
    return to
  })
  return { root, files: staged }
}

export function logsArtifactName(artifactName: string): string {
  return `${artifactName}-logs`
}

/**
 * Uploads the logs; never throws, since the build's own error is what the step reports. Through
 * sudo the files belong to root, so they are first given to the user that uploads them.
 */
export async function uploadLogs(
  runner: Runner,
  chown: string,
  sandbox: Sandbox,
  settings: { readonly artifactName: string; readonly retentionDays: number | undefined },
  links: RunLinks,
  uid: number | undefined,
): Promise<Uploaded | undefined> {
  const name = logsArtifactName(settings.artifactName)
  try {
    if (uid !== undefined && uid !== 0) {
      await runner.run(
        {
          file: chown,
          args: ['-R', `${uid}`, '--', sandbox.logs],
          privileged: true,
        },
        { allowFailure: true },
      )
    }
    const files = logFiles(sandbox)
    if (!files.length) {
      core.info('no build logs to upload')
      return undefined
    }
    core.info(`uploading ${files.length} log files as ${name}`)
    const staged = stageLogs(files, sandbox.dir, path.join(sandbox.dir, 'logs-artifact'))
    return await uploadFiles(name, staged.files, staged.root, settings.retentionDays, links)
  } catch (error) {
    core.warning(
      `Could not upload the build logs as ${name}: ${error instanceof Error ? error.message : String(error)}`,
    )
    return undefined
  }
}
