// node test/services/call.ts <operation> '<json arguments>'
// Runs ONE call of the real @actions/cache or @actions/artifact in a fresh process, configured only
// by the environment it was given (the libraries read process.env at call time, as in the action).
// Prints `RESULT <json>` as its last stdout line; the libraries' own ::warning:: etc. lines
// come before it. A thrown error is reported as `{"error": "..."}` with exit code 1.
import * as cache from '@actions/cache'
import { DefaultArtifactClient } from '@actions/artifact'

const RESULT_PREFIX = 'RESULT '

type Args = Record<string, unknown>
const artifacts = new DefaultArtifactClient()

const operations: Record<string, (args: Args) => Promise<unknown>> = {
  'cache-save': async (a) => ({ id: await cache.saveCache(strings(a.paths), String(a.key)) }),
  'cache-restore': async (a) => {
    const restoreKeys = a.restoreKeys === undefined ? [] : strings(a.restoreKeys)
    const matched = await cache.restoreCache(strings(a.paths), String(a.key), restoreKeys)
    return { matched: matched ?? null }
  },
  'artifact-upload': (a) =>
    artifacts.uploadArtifact(String(a.name), strings(a.files), String(a.root), {
      skipArchive: a.skipArchive === true,
    }),
  'artifact-list': () => artifacts.listArtifacts(),
  'artifact-get': (a) => artifacts.getArtifact(String(a.name)),
  'artifact-download': (a) =>
    artifacts.downloadArtifact(Number(a.id), {
      path: String(a.path),
      ...(typeof a.expectedHash === 'string' ? { expectedHash: a.expectedHash } : {}),
    }),
  'artifact-delete': (a) => artifacts.deleteArtifact(String(a.name)),
}

function strings(value: unknown): string[] {
  if (!Array.isArray(value))
    throw new Error(`expected a list of strings, got ${JSON.stringify(value)}`)
  return value.map(String)
}

async function main(): Promise<void> {
  const [name, json = '{}'] = process.argv.slice(2)
  const operation = name === undefined ? undefined : operations[name]
  if (operation === undefined) {
    throw new Error(`unknown operation ${name}; known: ${Object.keys(operations).join(', ')}`)
  }
  const result = await operation(JSON.parse(json) as Args)
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ error: String(error) })}\n`)
    process.exitCode = 1
  })
}
