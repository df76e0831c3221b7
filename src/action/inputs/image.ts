/**
 * The inputs that make a service image: the user's own files, commands run in the container,
 * and what the container runs (entrypoint, user, workdir, env). Parsed and checked with the
 * other inputs (action/inputs/inputs.ts), before anything is built; what needs the image (user names, the
 * files a package owns) is checked once it exists (rootfs/files.ts, rootfs/entrypoint.ts).
 */
import { lstatSync } from 'node:fs'
import path from 'node:path'
import { splitCommand } from '../../util/argv.ts'
import { Input, type InputName } from '../../util/names.ts'
import { CONTROL_RE, type GetInput, lines, type Problem } from './read.ts'
import type { EnvVar, ImageSettings, OwnerRule, SmokeUser } from '../../rootfs/image-settings.ts'

export type { EnvVar, ImageSettings, OwnerRule, SmokeUser }

const OWNER_RE = /^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)?(?::(?:[A-Za-z_][A-Za-z0-9_.-]*|\d+))?$/
const USER_RE = /^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)(?::(?:[A-Za-z_][A-Za-z0-9_.-]*|\d+))?$/
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

/** An absolute path inside the image, normalised; undefined when it is not one. */
export function imagePath(text: string): string | undefined {
  if (!text.startsWith('/') || CONTROL_RE.test(text) || text.split('/').includes('..'))
    return undefined
  const normal = path.posix.normalize(text)
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal
}

export function parseImageInputs(
  get: GetInput,
  resolveDir: (input: InputName, text: string) => string | undefined,
  problem: Problem,
  parseBool: (input: InputName, text: string) => boolean | undefined,
): ImageSettings | undefined {
  const filesText = get(Input.files)
  const files = filesText ? resolveDir(Input.files, filesText) : undefined
  const filesOwners: OwnerRule[] = []
  for (const line of lines(get(Input.filesOwners))) {
    const [where = '', owner = '', ...rest] = line.split(/\s+/)
    const inside = imagePath(where)
    if (!inside || !owner || rest.length || !OWNER_RE.test(owner)) {
      problem(
        Input.filesOwners,
        `'${line}' is not an owner rule; write one '<path in the image> <user>[:<group>]' per line, e.g. '/var/lib/myapp myapp:myapp' (it covers the path and everything below it)`,
      )
      continue
    }
    if (!filesText) {
      problem(
        Input.filesOwners,
        `'${line}' needs the files input: set files to the directory it refers to`,
      )
      continue
    }
    if (files && inside !== '/' && !existsInTree(files, inside)) {
      problem(
        Input.filesOwners,
        `'${inside}' is not in the files directory (no ${path.join(files, inside)}); name a path that files adds (a path in the image, as below the files directory)`,
      )
      continue
    }
    filesOwners.push({ path: inside, owner })
  }
  const filesReplace = parseBool(Input.filesReplace, get(Input.filesReplace) || 'false')
  const run = lines(get(Input.run))
  for (const command of run)
    if (CONTROL_RE.test(command.replaceAll('\t', ' ')))
      problem(Input.run, `'${command}' contains control characters; write one command per line`)

  const entrypointText = get(Input.entrypoint)
  let entrypoint: string[] | undefined
  if (entrypointText) {
    const argv = splitCommand(entrypointText)
    if (typeof argv === 'string')
      problem(
        Input.entrypoint,
        `'${entrypointText}' ${argv}; the command runs without a shell, so write e.g. /usr/sbin/sshd -D -e`,
      )
    else if (!argv[0]?.startsWith('/'))
      problem(
        Input.entrypoint,
        `'${entrypointText}' must start with an absolute path inside the image, e.g. /usr/sbin/nginx`,
      )
    else if (argv.some((a) => /\s/.test(a) || a === ''))
      problem(
        Input.entrypoint,
        `'${entrypointText}': LXC splits lxc.init.cmd at spaces, so no argument may contain one; put the command in a script (files) and make that the entry point, e.g. /usr/local/bin/start`,
      )
    else entrypoint = argv
  }
  const user = get(Input.user) || undefined
  if (user && !USER_RE.test(user))
    problem(
      Input.user,
      `'${user}' is not a user; write a user name or uid of the image, optionally with :group, e.g. nginx or 101:101`,
    )
  const workdirText = get(Input.workdir)
  const workdir = workdirText ? imagePath(workdirText) : undefined
  if (workdirText && !workdir)
    problem(
      Input.workdir,
      `'${workdirText}' is not an absolute path inside the image without '..'; write e.g. /var/lib/myapp`,
    )
  const env: EnvVar[] = []
  for (const line of lines(get(Input.env))) {
    const eq = line.indexOf('=')
    const name = eq < 0 ? line : line.slice(0, eq)
    if (eq < 0 || !ENV_NAME_RE.test(name))
      problem(
        Input.env,
        `'${line}' is not a variable; write one NAME=value per line, e.g. LANG=C.UTF-8`,
      )
    else env.push({ name, value: line.slice(eq + 1) })
  }
  const smokeText = get(Input.smokeTestUser) || 'root'
  const smokeTestUser = smokeText === 'root' || smokeText === 'user' ? smokeText : undefined
  if (!smokeTestUser)
    problem(
      Input.smokeTestUser,
      `'${smokeText}' is not one of root, user (root, or the user input's user)`,
    )
  else if (smokeTestUser === 'user' && !user)
    problem(Input.smokeTestUser, `'user' needs the user input: set user, or write root`)
  if (filesReplace === undefined || !smokeTestUser) return undefined
  return {
    files,
    filesOwners,
    filesReplace,
    run,
    entrypoint,
    user,
    workdir,
    env,
    smokeTestUser,
  }
}

function existsInTree(dir: string, inside: string): boolean {
  try {
    lstatSync(path.join(dir, inside))
    return true
  } catch {
    return false
  }
}
