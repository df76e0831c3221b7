/**
 * How every input is read: one problem list for all inputs, so that a user sees every mistake at
 * once, and the shared readers (booleans as core.getBooleanInput takes them, one of a list,
 * words, paths in the workspace).
 */
import { realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import type { InputProblem } from '../../util/errors.ts'
import type { InputName } from '../../util/names.ts'
import { isWithin } from '../../util/paths.ts'

/** What `core.getInput` returns for a name: the trimmed value, '' when unset. */
export type GetInput = (name: InputName) => string

export interface InputContext {
  /** Where relative paths are resolved, and which they must stay inside. */
  readonly workspace: string
  /** Directories besides DEFAULT_CACHE_DIR and the workspace that cache-dir may be below. */
  readonly cacheRoots?: readonly string[]
}

export type Problem = (input: InputName, message: string) => undefined

// LXC's own limit is the length of a path component; keep names that also fit a hostname.
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
export const CONTROL_RE = /[\u0000-\u001f\u007f]/

/** The inputs, read through one problem list. */
export interface Reader {
  readonly context: InputContext
  readonly problems: readonly InputProblem[]
  /** The input's text, or `fallback` when it is empty (action.yml's default: see defaults.test.ts). */
  get(input: InputName, fallback?: string): string
  problem: Problem
  /** A YAML 1.2 core boolean, as `core.getBooleanInput` accepts it. */
  boolean(input: InputName, fallback: 'true' | 'false'): boolean | undefined
  oneOf<T extends string>(input: InputName, fallback: T, allowed: readonly T[]): T | undefined
  /** Whitespace-separated words. */
  words(input: InputName): string[]
  /** A directory or file given relative to the workspace, which it must stay inside (links resolved). */
  workspacePath(input: InputName, text: string, kind: 'directory' | 'file'): string | undefined
}

export function reader(get: GetInput, context: InputContext): Reader {
  const problems: InputProblem[] = []
  const problem: Problem = (input, message) => {
    problems.push({ input, message })
    return undefined
  }
  const read = (input: InputName, fallback = ''): string => get(input) || fallback
  return {
    context,
    problems,
    get: read,
    problem,
    boolean: (input, fallback) => parseBoolean(input, read(input, fallback), problem),
    oneOf: (input, fallback, allowed) => oneOf(input, read(input, fallback), allowed, problem),
    words: (input) => words(read(input)),
    workspacePath: (input, text, kind) => workspacePath(input, text, kind, context, problem),
  }
}

/** One entry per line, trimmed; empty lines and # comments left out. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
}

export function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean)
}

/** A value quoted in a message: a long one is cut, so that the message stays readable. */
export function quoted(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 60)}… (${text.length} characters)`
}

/** A directory or file given relative to the workspace, which it must stay inside (links resolved). */
function workspacePath(
  input: InputName,
  text: string,
  kind: 'directory' | 'file',
  context: InputContext,
  problem: Problem,
): string | undefined {
  if (CONTROL_RE.test(text))
    return problem(
      input,
      'contains control characters; write a plain path relative to the workspace',
    )
  const resolved = path.resolve(context.workspace, text)
  let real: string
  try {
    real = realpathSync(resolved)
    const stat = statSync(real)
    if (kind === 'directory' ? !stat.isDirectory() : !stat.isFile())
      return problem(input, `'${text}' is not a ${kind}; give a ${kind} relative to the workspace`)
  } catch {
    return problem(
      input,
      `'${text}' does not exist (looked for ${resolved}); give a ${kind} relative to the workspace`,
    )
  }
  const workspace = realpathSync(context.workspace)
  if (!isWithin(real, workspace)) {
    return problem(
      input,
      `'${text}' resolves to ${real}, outside the workspace ${workspace}; give a ${kind} inside the workspace`,
    )
  }
  return real
}

export function oneOf<T extends string>(
  input: InputName,
  text: string,
  allowed: readonly T[],
  problem: Problem,
): T | undefined {
  const found = allowed.find((a) => a === text)
  return found ?? problem(input, `'${text}' is not one of ${allowed.join(', ')}`)
}

/** The YAML 1.2 core booleans, as `core.getBooleanInput` accepts them. */
export function parseBoolean(
  input: InputName,
  text: string,
  problem: Problem,
): boolean | undefined {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  return problem(input, `'${text}' is not a boolean; write true or false`)
}
