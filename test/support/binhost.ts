/**
 * TEST ONLY: a binary package host on 127.0.0.1, as a team runs one: a PKGDIR (its `Packages`
 * index, `Packages.gz` and the gpkg files) served over HTTP, its packages signed by Portage's
 * own `binpkg-signing` with a throwaway OpenPGP key made here with gnupg.
 *
 * Why Portage's signing alone fails on a fresh key (issue 14): after signing a package, Portage
 * verifies it (gpkg.py) with gpg run as GPG_VERIFY_USER_DROP (nobody) when root, against
 * BINPKG_GPG_VERIFY_GPG_HOME. A home made by `gpg --quick-gen-key` as root is 0700, so nobody
 * cannot read its keyring: "No public key". The verifying home here is a second one, with the
 * public key only, trusted ultimately, and readable by all.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

export interface SigningKey {
  /** The signing key's home (0700, root's). */
  readonly home: string
  readonly fingerprint: string
  /** The armored public key. */
  readonly publicKey: string
  /** A home with only the public key, trusted, readable by nobody. */
  readonly verifyHome: string
}

const gpg = (home: string, args: readonly string[], input?: string): string =>
  execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  })

/** A new ed25519 signing key in `dir/<name>`, its public key, and a verifying home. */
export function makeSigningKey(dir: string, name: string): SigningKey {
  const home = path.join(dir, `${name}-secret`)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  gpg(home, [
    '--passphrase',
    '',
    '--quick-gen-key',
    `${name} <${name}@lxcmin.invalid>`,
    'ed25519',
    'sign',
    'never',
  ])
  const fingerprint =
    gpg(home, ['--with-colons', '--list-keys'])
      .split('\n')
      .find((l) => l.startsWith('fpr:'))
      ?.split(':')[9] ?? ''
  const publicKey = path.join(dir, `${name}.asc`)
  writeFileSync(publicKey, gpg(home, ['--armor', '--export', fingerprint]))
  const verifyHome = path.join(dir, `${name}-verify`)
  mkdirSync(verifyHome, { recursive: true, mode: 0o700 })
  gpg(verifyHome, ['--no-autostart', '--import', publicKey])
  gpg(verifyHome, ['--no-autostart', '--import-ownertrust'], `${fingerprint}:6:\n`)
  gpg(verifyHome, ['--no-autostart', '--check-trustdb'])
  chmodSync(verifyHome, 0o755)
  for (const f of readdirSync(verifyHome)) {
    const full = path.join(verifyHome, f)
    chmodSync(full, statSync(full).isDirectory() ? 0o755 : 0o644)
  }
  return { home, fingerprint, publicKey, verifyHome }
}

/** Stops the gpg-agent that signing started for a key. */
export function stopAgent(key: SigningKey): void {
  execFileSync('gpgconf', ['--homedir', key.home, '--kill', 'all'])
}

/** make.conf lines that make Portage sign every binary package it builds with the key. */
export function signingMakeConf(key: SigningKey): string {
  return [
    'FEATURES="${FEATURES} binpkg-signing"',
    'BINPKG_FORMAT="gpkg"',
    `BINPKG_GPG_SIGNING_GPG_HOME="${key.home}"`,
    `BINPKG_GPG_SIGNING_KEY="0x${key.fingerprint}"`,
    `BINPKG_GPG_VERIFY_GPG_HOME="${key.verifyHome}"`,
    '',
  ].join('\n')
}

export interface Served {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  /** Paths asked for, in order. */
  readonly requests: string[]
  stop(): Promise<void>
}

/** Serves a directory's files (no listing) on loopback. */
export async function serveDirectory(dir: string): Promise<Served> {
  const requests: string[] = []
  const root = path.resolve(dir)
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    requests.push(pathname)
    const file = path.resolve(root, `.${pathname}`)
    let size = -1
    try {
      if (file.startsWith(`${root}/`) && statSync(file).isFile()) size = statSync(file).size
    } catch {
      // not there
    }
    if (size < 0) {
      res.writeHead(404, { 'Content-Length': 0 })
      res.end()
      return
    }
    res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' })
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A port on loopback where nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Changes one byte of the signed Manifest inside a gpkg (so its signature no longer matches) and
 * rewrites the host's index with the file's new size and digests, as a compromised host would:
 * only the signature can tell.
 */
export function tamperSignedManifest(binhost: string, relative: string, work: string): void {
  const file = path.join(binhost, relative)
  const out = path.join(work, 'tamper')
  mkdirSync(out, { recursive: true })
  const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n')
  execFileSync('tar', ['-xf', file, '-C', out])
  const manifestName = members.find((m) => m.endsWith('/Manifest'))
  if (!manifestName) throw new Error(`${relative} has no Manifest`)
  const manifest = path.join(out, manifestName)
  const text = readFileSync(manifest, 'utf8')
  // The last hex digit of the first DATA line's digest, inside the signed text.
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.startsWith('DATA '))
  const line = lines[at] ?? ''
  if (at < 0) throw new Error(`${relative}: no DATA line in the Manifest: ${text.slice(0, 300)}`)
  lines[at] = line.slice(0, -1) + (line.endsWith('0') ? '1' : '0')
  const changed = lines.join('\n')
  writeFileSync(manifest, changed)
  execFileSync('tar', [
    '-cf',
    file,
    '--format=ustar',
    '--owner=0',
    '--group=0',
    '-C',
    out,
    ...members,
  ])
  reindex(binhost, relative)
}

/** The index entry of one package file updated to the file as it is now (Packages and .gz). */
function reindex(binhost: string, relative: string): void {
  const bytes = readFileSync(path.join(binhost, relative))
  const digest = (algorithm: string): string => createHash(algorithm).update(bytes).digest('hex')
  const index = path.join(binhost, 'Packages')
  const blocks = readFileSync(index, 'utf8').split('\n\n')
  const updated = blocks.map((block) =>
    block.includes(`\nPATH: ${relative}\n`) || block.endsWith(`\nPATH: ${relative}`)
      ? block
          .replace(/^MD5: .*$/m, `MD5: ${digest('md5')}`)
          .replace(/^SHA1: .*$/m, `SHA1: ${digest('sha1')}`)
          .replace(/^SIZE: .*$/m, `SIZE: ${bytes.length}`)
      : block,
  )
  if (updated.join('\n\n') === blocks.join('\n\n'))
    throw new Error(`no index entry for ${relative}`)
  writeFileSync(index, updated.join('\n\n'))
  writeFileSync(`${index}.gz`, gzipSync(updated.join('\n\n')))
}
