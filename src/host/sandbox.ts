/** The per-run working directory: everything the build writes lives below it. */
import { chmodSync, mkdirSync, mkdtempSync, realpathSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { BuildError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import type { Host } from './preflight.ts'

export interface Sandbox {
  readonly dir: string
  /** ROOT: the container's root file system. */
  readonly rootfs: string
  /** An empty root the plan's emerge --pretend runs on: as the rootfs is before its first merge. */
  readonly planRoot: string
  /** PORTAGE_CONFIGROOT. */
  readonly configRoot: string
  /** The LXC config file for the container. */
  readonly lxcConfig: string
  /** lxcpath for lxc-execute and lxc-stop, so nothing lands in the host's /var/lib/lxc. */
  readonly lxcpath: string
  readonly logs: string
  readonly distdir: string
  readonly pkgdir: string
  readonly tmpdir: string
  /** Unique on this runner: the sandbox directory's own name. */
  readonly containerName: string
}

export interface SandboxSpec {
  readonly runnerTemp: string
  readonly name: string
  readonly runId: string
  readonly runAttempt: string
}

/** A prefix unique per run, attempt and name; mkdtemp adds what makes two jobs on one runner differ. */
export function sandboxPrefix(spec: SandboxSpec): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '-')
  return `${clean(spec.name)}-${clean(spec.runId) || 'local'}-${clean(spec.runAttempt) || '1'}-`
}

export function createSandbox(spec: SandboxSpec): Sandbox {
  const parent = path.join(spec.runnerTemp, 'lxcmin')
  mkdirSync(parent, { recursive: true, mode: 0o755 })
  const dir = mkdtempSync(path.join(parent, sandboxPrefix(spec)))
  // Like /var/tmp/portage: others may enter, as the user Portage's gpg verifies as (keyring.ts).
  chmodSync(dir, 0o755)
  const at = (name: string): string => path.join(dir, name)
  const sandbox: Sandbox = {
    dir,
    rootfs: at('rootfs'),
    planRoot: at('plan-root'),
    configRoot: at('portage'),
    lxcConfig: at('lxc.conf'),
    lxcpath: at('lxc'),
    logs: at('logs'),
    distdir: at('distfiles'),
    pkgdir: at('binpkgs'),
    tmpdir: at('tmp'),
    containerName: path.basename(dir),
  }
  for (const d of [
    sandbox.rootfs,
    sandbox.planRoot,
    sandbox.configRoot,
    sandbox.lxcpath,
    sandbox.logs,
    sandbox.distdir,
    sandbox.pkgdir,
    sandbox.tmpdir,
  ]) {
    mkdirSync(d, { mode: 0o755 })
  }
  assertNotHostRoot(sandbox.rootfs)
  return sandbox
}

/** ROOT must never be the host's root, whatever links lie on the way. */
export function assertNotHostRoot(rootfs: string): void {
  if (!path.isAbsolute(rootfs) || realpathSync(rootfs) === '/' || path.resolve(rootfs) === '/') {
    throw new BuildError(
      `refusing to build into ${rootfs}: it resolves to the host's root directory`,
    )
  }
}

/**
 * The sandbox, handed to `created` at once (main saves it for the post step, which cleans up
 * whatever happens from here on).
 */
export async function prepareSandbox(
  runner: Runner,
  host: Host,
  name: string,
  env: { readonly runnerTemp: string; readonly runId: string; readonly runAttempt: string },
  created: (sandbox: Sandbox) => void,
): Promise<Sandbox> {
  const sandbox = createSandbox({
    runnerTemp: env.runnerTemp,
    name,
    runId: env.runId,
    runAttempt: env.runAttempt,
  })
  created(sandbox)
  if (host.privilege === 'sudo') {
    // The container's root directory belongs to root, like any root file system.
    await runner.run({
      file: host.tools.chown,
      args: ['0:0', '--', sandbox.rootfs, sandbox.planRoot],
      privileged: true,
    })
  }
  core.info(`sandbox ${sandbox.dir}; container ${sandbox.containerName}`)
  return sandbox
}
