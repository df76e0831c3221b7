/**
 * Binary hosts with real Portage: a host served on 127.0.0.1 from packages this test host built
 * and signed (Portage's binpkg-signing, a throwaway key made with gnupg), indexed by Portage
 * itself (`Packages`, `Packages.gz`), as a team's binhost is. Cold builds from it, a USE change
 * that falls back to source for one package, binhost-only, a tampered package and an unknown
 * signer refused, a host that cannot be reached, and gentoo without the release keys.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAction } from '../../scripts/run-action.ts'
import {
  closedPort,
  makeSigningKey,
  type Served,
  serveDirectory,
  type SigningKey,
  signingMakeConf,
  stopAgent,
  tamperSignedManifest,
} from '../support/binhost.ts'
import { emerged } from './cache-fixture.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'
import { QUICK } from './shared-cache.ts'

const BASH = [
  'sys-apps/baselayout-2.18',
  'sys-libs/glibc-2.36',
  'virtual/libc-1',
  'sys-libs/ncurses-6.4_p20230506',
  'sys-libs/readline-8.2_p1',
  'app-shells/bash-5.2_p15',
]

let work = ''
let key: SigningKey
let stranger: SigningKey
/** Every key made, for their gpg-agents to be stopped. */
const keys: SigningKey[] = []
let host: Served | undefined
/** The binhost's directory: the PKGDIR of the build that made it. */
let binhost = ''
const rel = (p: string): string => path.relative(WORKSPACE, p)

/** A config input (a directory in the workspace) with these files. */
function configDir(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  return rel(dir)
}

beforeAll(async () => {
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'binhost-'))
  // Portage's verifying gpg runs as nobody: the verifying home must be reachable (binhost.ts).
  chmodSync(work, 0o755)
  key = makeSigningKey(work, 'team')
  stranger = makeSigningKey(work, 'stranger')
  keys.push(key, stranger)
  // The team's builder: the action itself, with Portage signing every package it makes; the
  // local cache directory it saves is a PKGDIR as Portage wrote it, index included.
  const cache = path.join(work, 'builder-cache')
  const made = await runAction({
    workspace: WORKSPACE,
    inputs: {
      ...QUICK,
      packages: 'app-shells/bash',
      config: configDir('signing', { 'make.conf': signingMakeConf(key) }),
      cache: 'local',
      'cache-dir': cache,
      'save-cache': 'always',
    },
  })
  expect(made.main.exitCode, made.main.output).toBe(0)
  const entries = readdirSync(path.join(cache, 'binpkgs'))
  binhost = path.join(cache, 'binpkgs', entries[0] ?? '')
  expect(existsSync(path.join(binhost, 'Packages')), entries.join(', ')).toBe(true)
  host = await serveDirectory(binhost)
}, 300_000)

afterAll(async () => {
  try {
    for (const k of keys) stopAgent(k)
    await host?.stop()
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})

/** A build from the binary host only: no cache of its own. */
const fromHost = (inputs: Record<string, string>) =>
  build({
    packages: 'app-shells/bash',
    cache: 'off',
    binhost: host?.url ?? '',
    'binhost-keys': rel(key.publicKey),
    ...inputs,
  })

describe('a signed binary host', () => {
  it('a cold build takes every package from the host, verified, and compiles nothing', async () => {
    const result = await fromHost({ 'keep-sandbox': 'true' })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(emerged(result, 'source')).toEqual([])
    expect(result.outputs['binary-packages']?.split('\n').sort()).toEqual([...BASH].sort())
    expect(result.outputs['source-packages']).toBe('')
    expect(result.main.output).toContain(`binary packages are verified against ${key.fingerprint}`)
    expect(result.main.output).toContain('binary app-shells/bash-5.2_p15 from binhost-1')
    expect(host?.requests).toContain('/app-shells/bash/bash-5.2_p15-1.gpkg.tar')
    expect(result.summary).toContain('| `app-shells/bash-5.2_p15` | binary | binhost-1 |')
    // Portage's copy of the host's index is bookkeeping, not image.
    const rootfs = result.outputs.rootfs ?? ''
    expect(existsSync(path.join(rootfs, 'var/db/pkg/app-shells/bash-5.2_p15'))).toBe(true)
    expect(existsSync(path.join(rootfs, 'var/cache/edb/binhost'))).toBe(false)
    rmSync(result.outputs.sandbox ?? '', { recursive: true, force: true })
    expect(result.outputs['smoke-test']).toBe('passed')
  })

  it('a USE change builds that package alone from source, and says why', async () => {
    const config = configDir('bash-nonls', { 'package.use/bash': 'app-shells/bash -nls\n' })
    const result = await fromHost({ config })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(emerged(result, 'source')).toEqual(['app-shells/bash-5.2_p15'])
    expect(result.outputs['source-packages']).toBe('app-shells/bash-5.2_p15')
    expect(result.outputs['binary-packages']?.split('\n')).toHaveLength(BASH.length - 1)
    expect(result.summary).toContain(
      '| `app-shells/bash-5.2_p15` | source | USE differs: this build needs -nls against the binary package |',
    )
  })

  it('binhost-only fails before compiling anything, naming the package and why', async () => {
    const config = configDir('bash-nonls-only', { 'package.use/bash': 'app-shells/bash -nls\n' })
    const result = await fromHost({ config, 'binhost-only': 'true' })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toMatch(
      /binhost-only is true and these packages would be built from source:\napp-shells\/bash-5\.2_p15: USE differs/,
    )
    expect(emerged(result, 'source')).toEqual([])
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

describe('packages that fail the signature check are refused', () => {
  it('a tampered package: the emerge fails naming it, nothing is merged from it, no fallback to source', async () => {
    const tampered = path.join(work, 'tampered')
    cpSync(binhost, tampered, { recursive: true })
    tamperSignedManifest(tampered, 'app-shells/bash/bash-5.2_p15-1.gpkg.tar', work)
    const bad = await serveDirectory(tampered)
    try {
      const result = await fromHost({ binhost: bad.url, 'keep-sandbox': 'true' })
      expect(result.main.exitCode).toBe(1)
      expect(errors(result).join('\n')).toMatch(
        /app-shells\/bash-5\.2_p15: its binary package \S+bash-5\.2_p15-1\.gpkg\.tar failed the signature check \(BADSIG\); it was refused/,
      )
      expect(emerged(result, 'source')).toEqual([])
      const sandbox = readdirSync(path.join(result.runnerTemp, 'lxcmin'))[0] ?? ''
      const vdb = path.join(result.runnerTemp, 'lxcmin', sandbox, 'rootfs', 'var/db/pkg')
      expect(existsSync(path.join(vdb, 'sys-libs/readline-8.2_p1'))).toBe(true)
      expect(existsSync(path.join(vdb, 'app-shells/bash-5.2_p15'))).toBe(false)
    } finally {
      await bad.stop()
    }
  })

  it('an unknown signer: the first package is refused (NO_PUBKEY)', async () => {
    const result = await fromHost({ 'binhost-keys': rel(stranger.publicKey) })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toMatch(
      /failed the signature check \((?:NO_PUBKEY|ERRSIG)\); it was refused/,
    )
    expect(emerged(result, 'source')).toEqual([])
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

describe('a binary host that cannot be used', () => {
  it('unreachable: a warning, and the build goes on from the cache and source', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const result = await build({
      packages: 'app-shells/bash',
      binhost: url,
      'binhost-verify': 'false',
    })
    expect(result.main.exitCode, result.main.output).toBe(0)
    const warnings = result.main.annotations
      .filter((a) => a.level === 'warning')
      .map((a) => a.message)
    expect(warnings).toContainEqual(
      expect.stringContaining(`The binary host binhost-1 (${url}) could not be read`),
    )
    expect(warnings).toContainEqual(expect.stringContaining('binhost-verify is false'))
    expect(result.outputs['smoke-test']).toBe('passed')
  })

  it('unreachable with binhost-only: the step fails naming the host', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const result = await fromHost({ binhost: url, 'binhost-only': 'true' })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toContain(
      `binhost-only is true and the binary host binhost-1 (${url}) could not be read`,
    )
    expect(emerged(result, 'source')).toEqual([])
  })

  it('gentoo without sec-keys/openpgp-keys-gentoo-release on the runner: an error naming the package', async () => {
    const result = await build({ packages: 'app-shells/bash', binhost: 'gentoo', cache: 'off' })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toMatch(
      /binhost gentoo: the Gentoo release keys are not installed on the runner \(.*usr\/share\/openpgp-keys\/gentoo-release\.asc\); install sec-keys\/openpgp-keys-gentoo-release/,
    )
    expect(leftovers(result)).toEqual(CLEAN)
  })
})
