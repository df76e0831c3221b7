/**
 * The image as the action hands it on: packed with the defaults, uploaded through the real
 * @actions/artifact to the local services, downloaded again and compared by digest; the same
 * binary packages give the same digest; format lxc imports with lxc-create -t local.
 */
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActionResult } from '../../scripts/run-action.ts'
import { startServices, type Services, UNSET_ENV_KEYS } from '../services/server.ts'
import { build, CLEAN, leftovers, processesUsing, WORKSPACE } from './support.ts'

const run = promisify(execFile)
let services: Services
let work: string
let runnerTemp: string

let runs = 100

function withServices(inputs: Record<string, string>): Promise<ActionResult> {
  const env: Record<string, string | undefined> = {
    ...services.env,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'lxcmin/test',
  }
  for (const key of UNSET_ENV_KEYS) env[key] = undefined
  const runId = String(++runs)
  return build(
    {
      'smoke-test': "/bin/bash -c 'echo ok'",
      upload: 'true',
      'upload-report': 'true',
      'compression-level': '',
      // Builds again from the binary packages: the image cache would restore the first image.
      'image-cache': 'false',
      ...inputs,
    },
    { runnerTemp, env, runId },
  )
}

/**
 * One call of the real @actions/artifact in a child process, as test/services/call.ts runs it.
 * Asynchronously: the services answer from this very process.
 */
async function artifactCall(operation: string, args: object): Promise<unknown> {
  const unset: readonly string[] = UNSET_ENV_KEYS
  const kept = Object.entries(process.env).filter(([key]) => !unset.includes(key))
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(kept),
    ...services.env,
    GITHUB_WORKSPACE: work,
  }
  const { stdout: out } = await run(
    process.execPath,
    [path.join(WORKSPACE, 'test/services/call.ts'), operation, JSON.stringify(args)],
    { env, encoding: 'utf8' },
  )
  const last = out.trim().split('\n').pop() ?? ''
  return JSON.parse(last.replace(/^RESULT /, '')) as unknown
}

beforeAll(async () => {
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'image-'))
  services = await startServices({ dir: path.join(work, 'services') })
  runnerTemp = services.env.RUNNER_TEMP ?? ''
})

afterAll(async () => {
  await services.close()
  rmSync(work, { recursive: true, force: true })
})

describe('the image', () => {
  let first: ActionResult

  it('is packed with zstd, uploaded as one unzipped artifact and downloads with the same digest', async () => {
    first = await withServices({ packages: 'app-shells/bash', 'artifact-name': 'bash-first' })
    expect(first.main.exitCode, first.main.output).toBe(0)
    const sha256 = first.outputs['tarball-sha256'] ?? ''
    expect(first.outputs.tarball).toMatch(/\/bash-first\.tar\.zst$/)
    expect(sha256).toMatch(/^[0-9a-f]{64}$/)
    const stored = (await services.artifacts()).find((a) => a.name === 'bash-first.tar.zst')
    expect(stored?.digest).toBe(`sha256:${sha256}`)
    expect(String(stored?.size)).toBe(first.outputs['tarball-bytes'])
    expect(first.outputs['artifact-id']).toBe(String(stored?.id))
    expect(first.outputs['artifact-url']).toBe(
      `https://github.com/lxcmin/test/actions/runs/101/artifacts/${String(stored?.id)}`,
    )
    expect(first.summary).toMatch(
      /\| \[bash-first\.tar\.zst\]\(https:\/\/github\.com\/lxcmin\/test\/actions\/runs\/\d+\/artifacts\/\d+\) \| [\d.]+ MiB \| `sha256:[0-9a-f]{64}` \|/,
    )

    const into = path.join(work, 'download')
    await artifactCall('artifact-download', {
      id: Number(stored?.id),
      path: into,
      expectedHash: `sha256:${sha256}`,
    })
    const downloaded = readFileSync(path.join(into, 'bash-first.tar.zst'))
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(sha256)
    expect(leftovers(first)).toEqual(CLEAN)
  })

  it('is the same, byte for byte, when built again from the same binary packages', async () => {
    const second = await withServices({
      packages: 'app-shells/bash',
      'artifact-name': 'bash-second',
    })
    expect(second.main.exitCode, second.main.output).toBe(0)
    // Both from the shared cache's binary packages (pre-filled with this very request), in two
    // sandboxes at different paths.
    for (const result of [first, second]) {
      expect(result.outputs['cache-hit-binpkgs']).toBe('exact')
      expect(result.main.output).toMatch(/^>>> Emerging binary \(/m)
      expect(result.main.output).not.toMatch(/^>>> Emerging \(/m)
    }
    expect(second.outputs.sandbox).not.toBe(first.outputs.sandbox)
    expect(second.outputs['tarball-sha256']).toBe(first.outputs['tarball-sha256'])
  })

  it('as format lxc, imports with lxc-create -t local and runs', async () => {
    const result = await withServices({
      packages: 'app-shells/bash',
      format: 'lxc',
      'keep-sandbox': 'true',
      upload: 'false',
    })
    const sandbox = result.outputs.sandbox ?? ''
    const lxcpath = path.join(work, 'lxcpath')
    const name = 'lxcmin-imported'
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(result.outputs.tarball).toMatch(/\/bash\.tar\.xz$/)
      expect(result.outputs['metadata-tarball']).toMatch(/\/bash\.meta\.tar\.xz$/)
      mkdirSync(lxcpath, { recursive: true })
      const conf = path.join(work, 'create.conf')
      // This host's default.conf names a bridge it does not have.
      execFileSync('sh', ['-c', `printf 'lxc.net.0.type = empty\\n' > '${conf}'`])
      execFileSync(
        'lxc-create',
        [
          '-P',
          lxcpath,
          '-n',
          name,
          '-f',
          conf,
          '-t',
          'local',
          '--',
          '--fstree',
          result.outputs.tarball ?? '',
          '--metadata',
          result.outputs['metadata-tarball'] ?? '',
        ],
        { stdio: 'pipe' },
      )
      const out = execFileSync(
        'lxc-execute',
        ['-P', lxcpath, '-n', name, '--', '/bin/bash', '-c', 'echo imported ok'],
        { encoding: 'utf8' },
      )
      expect(out).toContain('imported ok')
    } finally {
      execFileSync('lxc-destroy', ['-P', lxcpath, '-n', name, '-f'], { stdio: 'ignore' })
      rmSync(sandbox, { recursive: true, force: true })
    }
    expect(processesUsing(lxcpath)).toEqual([])
  })
})
