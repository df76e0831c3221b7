/** What the runner must have before anything is built: privileges, Portage, and a recent LXC. */
import { BuildError } from '../util/errors.ts'
import { createRunner, type Privilege, type Runner } from '../util/exec.ts'
import { MIN_LXC_IDMAPPED } from '../lxc/idmap.ts'
import { atLeast, MIN_LXC, parseLxcVersion } from '../lxc/version.ts'
import { findTools, type Tools } from './tools.ts'

export interface Host {
  readonly privilege: Privilege
  readonly tools: Tools
  readonly lxcVersion: string
}

export async function preflight(
  searchPath: string,
  uid: number | undefined,
  needs: { readonly unprivileged: boolean } = { unprivileged: false },
): Promise<Host> {
  const privilege = await findPrivilege(uid)
  const tools = findTools(searchPath)
  const runner: Runner = createRunner(privilege)
  const versionText = (
    await runner.run({ file: tools.lxcExecute, args: ['--version'] })
  ).stdout.trim()
  const version = parseLxcVersion(versionText)
  if (!version || !atLeast(version, MIN_LXC)) {
    throw new BuildError(
      `lxcmin needs LXC ${MIN_LXC.join('.')} or newer (its lxc-execute brings its own init and reads the lxc.net.0.type, lxc.rootfs.path, lxc.uts.name keys); ${tools.lxcExecute} is version '${versionText}'`,
    )
  }
  if (needs.unprivileged && !atLeast(version, MIN_LXC_IDMAPPED)) {
    throw new BuildError(
      `unprivileged: true needs LXC ${MIN_LXC_IDMAPPED.join('.')} or newer, which mounts the rootfs idmapped (lxc.rootfs.options = idmap=container); ${tools.lxcExecute} is version ${version.join('.')}. Set unprivileged: false, or update app-containers/lxc`,
    )
  }
  return { privilege, tools, lxcVersion: version.join('.') }
}

async function findPrivilege(uid: number | undefined): Promise<Privilege> {
  if (uid === 0) return 'root'
  const probe = await createRunner('root')
    .run({ file: 'sudo', args: ['-n', 'true'] }, { allowFailure: true })
    .catch(() => undefined)
  if (probe?.exitCode === 0) return 'sudo'
  throw new BuildError(
    'lxcmin must run as root, or as a user with passwordless sudo (emerge into a root and lxc-execute need root); `sudo -n true` failed',
  )
}
