/**
 * The only module that starts processes. Commands are argument arrays, never shell strings;
 * privileged commands go through `sudo -n` when the action does not run as root.
 */
import { randomUUID } from 'node:crypto'
import { constants } from 'node:os'
import { execa } from 'execa'
import { joinCommand } from './argv.ts'
import { CommandError } from './errors.ts'

export type Privilege = 'root' | 'sudo'

export interface Command {
  readonly file: string
  readonly args: readonly string[]
  /** Extra environment for this command, on top of the action's own. */
  readonly env?: Readonly<Record<string, string>>
  /** Needs root: run through `sudo -n` when the action is not root. */
  readonly privileged?: boolean
  readonly cwd?: string
}

export interface RunOptions {
  /** Show the output live in the log (and keep only its tail). */
  readonly stream?: boolean
  /** Return a non-zero exit instead of throwing. */
  readonly allowFailure?: boolean
  readonly timeoutMs?: number
  /** Called when the timeout fires, before the process is killed (e.g. to stop a container). */
  readonly onTimeout?: () => Promise<void>
  /** With stream: sees every line of the output as it comes. */
  readonly onLine?: (line: string) => void
  /**
   * Start the command as its own process group, and at the timeout kill the whole group (the
   * command's children too, e.g. the tar a library started), not only the command.
   */
  readonly group?: boolean
  /**
   * Hands standard output to this function as raw bytes, chunk by chunk as it comes, instead of
   * keeping it (stdout is then empty; the tail is standard error's): for outputs too large to hold
   * as one string, or that are not text (file names). Not with stream.
   */
  readonly onStdout?: (chunk: Buffer) => void
  /**
   * Stops the command when aborted (SIGTERM, then SIGKILL after the grace): it then ends as killed
   * by SIGTERM (exit code 143 with allowFailure, a CommandError without).
   */
  readonly signal?: AbortSignal
}

export interface Result {
  readonly exitCode: number
  /** Standard output; empty when streamed. */
  readonly stdout: string
  readonly stderr: string
  /** The last lines of the combined output. */
  readonly tail: readonly string[]
  readonly timedOut: boolean
}

export interface Runner {
  readonly privilege: Privilege
  run(command: Command, options?: RunOptions): Promise<Result>
}

const TAIL_LINES = 60
const KILL_GRACE_MS = 5_000

/** What is actually started for a command under a privilege mode (pure, for tests). */
export function invocation(
  command: Command,
  privilege: Privilege,
): { file: string; args: string[]; env: Record<string, string> } {
  const env = { ...command.env }
  if (!command.privileged || privilege === 'root') {
    return { file: command.file, args: [...command.args], env }
  }
  // sudo resets the environment: hand the command's own variables over through env(1).
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`)
  return {
    file: 'sudo',
    args: ['-n', '--', 'env', ...assignments, command.file, ...command.args],
    env: {},
  }
}

/** A printable form of a command, for logs and errors. */
export function describe(command: Command): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${joinCommand([v])}`)
  return [...env, joinCommand([command.file, ...command.args])].join(' ')
}

export function createRunner(
  privilege: Privilege,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Runner {
  return {
    privilege,
    async run(command, options = {}) {
      const { file, args, env } = invocation(command, privilege)
      const raw = options.onStdout
      const child = execa(file, args, {
        env,
        ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
        reject: false,
        stdin: 'ignore',
        all: !raw,
        buffer: options.stream ? false : raw ? { stdout: false } : true,
        forceKillAfterDelay: KILL_GRACE_MS,
        ...(options.group ? { detached: true } : {}),
        ...(options.signal ? { cancelSignal: options.signal } : {}),
      })
      // A consumer that throws must not leave an uncaught exception behind: the command is
      // stopped and the error thrown from run().
      let consumerError: { readonly error: unknown } | undefined
      if (raw) {
        child.stdout.on('data', (chunk: Buffer) => {
          if (consumerError) return
          try {
            raw(chunk)
          } catch (error) {
            consumerError = { error }
            child.kill('SIGTERM')
          }
        })
      }
      const killGroup = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      const deadline = { passed: false }
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              deadline.passed = true
              // A failing onTimeout must neither crash the process nor spare the command.
              void Promise.resolve()
                .then(() => options.onTimeout?.())
                .catch(() => undefined)
                .finally(() => (options.group ? killGroup() : child.kill('SIGTERM')))
            }, options.timeoutMs)
      const tail: string[] = []
      if (options.stream) {
        // Build output must not be read as workflow commands by the runner.
        const token = randomUUID()
        write(`::stop-commands::${token}\n`)
        try {
          for await (const line of child.iterable({ from: 'all' })) {
            write(`${line}\n`)
            options.onLine?.(line)
            tail.push(line)
            if (tail.length > TAIL_LINES) tail.shift()
          }
        } finally {
          write(`::${token}::\n`)
        }
      }
      const result = await child
      if (timer) clearTimeout(timer)
      if (consumerError) throw consumerError.error
      // Unbuffered (streamed) runs have no captured text: their tail was kept line by line.
      const text = (value: string | undefined): string => (options.stream ? '' : (value ?? ''))
      if (!options.stream)
        tail.push(...lastLines(text(raw ? result.stderr : result.all), TAIL_LINES))
      const signal = result.isTerminated ? result.signal : undefined
      // A command killed by a signal exits as a shell reports it: 128 + the signal's number.
      const exitCode = result.exitCode ?? (signal ? 128 + constants.signals[signal] : -1)
      const timedOut = deadline.passed
      const outcome: Result = {
        exitCode,
        stdout: text(result.stdout),
        stderr: text(result.stderr),
        tail,
        timedOut,
      }
      if (signal && !timedOut && !options.allowFailure) {
        throw new CommandError(describe(command), exitCode, tail, `was killed by ${signal}`)
      }
      if (result.failed && result.exitCode === undefined && !signal && !timedOut) {
        throw new CommandError(
          describe(command),
          undefined,
          tail,
          `could not be run: ${result.shortMessage}`,
        )
      }
      if (exitCode !== 0 && !options.allowFailure && !timedOut) {
        throw new CommandError(describe(command), exitCode, tail)
      }
      return outcome
    },
  }
}

export function lastLines(text: string, count: number): string[] {
  const lines = text.split('\n')
  while (lines.length && lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-count)
}

/**
 * `first | second | ... > outputFile` without a shell: each stage is an argument array started the
 * way run() starts a command (through sudo when privileged and not root), each stage's stdout is
 * connected to the next one's stdin in Node, and the last stage's stdout is written to outputFile
 * (created or truncated by this process, so it belongs to the action's user even when a stage runs
 * as root). Throws CommandError for the failing stage furthest down the pipe: when a later stage
 * dies, the earlier ones fail with a broken pipe, which is not the cause. With inputFile, the
 * first stage reads that file (opened by this process) as its stdin.
 */
export async function runPipeline(
  privilege: Privilege,
  stages: readonly Command[],
  outputFile: string,
  /** The first stage's stdin, read by this process; none by default. */
  inputFile?: string,
): Promise<void> {
  if (!stages.length) throw new Error('runPipeline: no stages')
  const last = stages.length - 1
  const children = stages.map((command, i) => {
    const { file, args, env } = invocation(command, privilege)
    return execa(file, args, {
      env,
      ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
      reject: false,
      stdin: i > 0 ? 'pipe' : inputFile === undefined ? 'ignore' : { file: inputFile },
      stdout: i === last ? { file: outputFile } : 'pipe',
      stderr: 'pipe',
      buffer: { stdout: false, stderr: true },
      encoding: 'buffer',
      forceKillAfterDelay: KILL_GRACE_MS,
    })
  })
  for (let i = 1; i <= last; i++) {
    const from = children[i - 1]?.stdout
    const to = children[i]?.stdin
    if (from && to) from.pipe(to)
  }
  const results = await Promise.all(children)
  for (let i = last; i >= 0; i--) {
    const result = results[i]
    const command = stages[i]
    if (!result || !command) continue
    const stderr = lastLines(Buffer.from(result.stderr).toString('utf8'), TAIL_LINES)
    if (result.isTerminated && result.signal) {
      const code = 128 + constants.signals[result.signal]
      throw new CommandError(describe(command), code, stderr, `was killed by ${result.signal}`)
    }
    if (result.exitCode === undefined) {
      throw new CommandError(
        describe(command),
        undefined,
        stderr,
        `could not be run: ${result.shortMessage}`,
      )
    }
    if (result.exitCode !== 0) throw new CommandError(describe(command), result.exitCode, stderr)
  }
}
