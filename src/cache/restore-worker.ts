/**
 * One @actions/cache restore, in its own process (see actionsStore in cache.ts): the library takes
 * no abort signal, so a restore past its time limit is stopped by killing this process's group,
 * the tar and zstd the library started included. Argument: the request as JSON; the last line of
 * stdout is `RESULT <json>` with the key that matched (null on a miss). The service's address and
 * token come in the environment, as for the main step.
 */
import * as actionsCache from '@actions/cache'

interface Request {
  readonly paths: string[]
  readonly key: string
  readonly restoreKeys: string[]
  readonly options: actionsCache.DownloadOptions
}

const request = JSON.parse(process.argv[2] ?? '{}') as Request
const matched = await actionsCache.restoreCache(
  request.paths,
  request.key,
  request.restoreKeys,
  request.options,
)
process.stdout.write(`RESULT ${JSON.stringify({ matched: matched ?? null })}\n`)
// Open HTTP handles of the library must not keep the process alive.
process.exit(0)
