/**
 * The keyring that binary packages from binary hosts are verified against, made by the action in
 * its sandbox instead of by Portage's trust helper.
 *
 * getuto, the default PORTAGE_TRUST_HELPER, builds `${ROOT}/etc/portage/gnupg`, and `emerge`
 * exports ROOT: into an empty ROOT it would look for the release keys in the empty root and put
 * its keyring in the image. So the action imports the keys itself, marks them trusted
 * (ownertrust ultimate: Portage accepts only TRUST_FULLY or TRUST_ULTIMATE signatures), points
 * BINPKG_GPG_VERIFY_GPG_HOME at it and sets PORTAGE_TRUST_HELPER=true.
 *
 * Portage runs the verifying gpg as GPG_VERIFY_USER_DROP (nobody) when it is root (gpkg.py), so
 * the keyring must be readable by that user: a home gpg made for root (0700) gives "No public
 * key" for every package.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BuildError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'

export interface Keyring {
  readonly home: string
  /** The primary keys' fingerprints. */
  readonly fingerprints: readonly string[]
  /**
   * The first directory above the keyring that others cannot enter: Portage's verifying gpg
   * cannot drop to nobody then, and verifies as root (GPG_VERIFY_USER_DROP=""). Undefined when
   * every directory lets others through.
   */
  readonly closedAt: string | undefined
}

/** Imports the key files into a new keyring at `home` and trusts their primary keys. */
export async function makeKeyring(
  runner: Runner,
  gpg: string,
  home: string,
  keyFiles: readonly string[],
): Promise<Keyring> {
  mkdirSync(home, { recursive: true, mode: 0o700 })
  // --no-autostart: no gpg-agent is left running after the step (public keys need none).
  const base = ['--homedir', home, '--batch', '--no-tty', '--no-autostart']
  const imported = await runner.run(
    { file: gpg, args: [...base, '--import', '--', ...keyFiles] },
    { allowFailure: true },
  )
  const listed = await runner.run({
    file: gpg,
    args: [...base, '--with-colons', '--fingerprint', '--list-keys'],
  })
  const fingerprints = primaryFingerprints(listed.stdout)
  if (!fingerprints.length) {
    throw new BuildError(
      `binhost-keys: no OpenPGP public key could be imported from ${keyFiles.join(', ')}: ${imported.stderr.trim().split('\n').slice(-3).join(' ')}. Give a key exported with gpg --export (armored or binary)`,
    )
  }
  const trust = path.join(home, 'ownertrust.txt')
  writeFileSync(trust, fingerprints.map((f) => `${f}:6:\n`).join(''))
  await runner.run({ file: gpg, args: [...base, '--import-ownertrust', trust] })
  await runner.run({ file: gpg, args: [...base, '--check-trustdb'] })
  openForReading(home)
  return { home, fingerprints, closedAt: closedAncestor(home) }
}

/** `pub` records' first `fpr` in `gpg --with-colons` output. */
export function primaryFingerprints(colons: string): string[] {
  const found: string[] = []
  let wantPrimary = false
  for (const line of colons.split('\n')) {
    const fields = line.split(':')
    if (fields[0] === 'pub') wantPrimary = true
    else if (fields[0] === 'sub') wantPrimary = false
    else if (fields[0] === 'fpr' && wantPrimary && fields[9]) {
      found.push(fields[9])
      wantPrimary = false
    }
  }
  return found
}

/** The keyring's directories 0755, its files 0644: readable by the user gpg drops to. */
function openForReading(dir: string): void {
  chmodSync(dir, 0o755)
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) openForReading(full)
    else if (entry.isFile()) chmodSync(full, 0o644)
  }
}

/** The first directory above `dir` (from /) that others may not search, if any. */
export function closedAncestor(dir: string): string | undefined {
  const parts = path.resolve(dir).split('/').filter(Boolean)
  for (let i = 0; i < parts.length; i++) {
    const at = `/${parts.slice(0, i).join('/')}`
    if ((statSync(at).mode & 0o001) === 0) return at
  }
  return undefined
}
