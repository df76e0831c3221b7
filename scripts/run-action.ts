/**
 * Runs the bundled action the way the GitHub runner does: inputs as INPUT_* (with the defaults of
 * action.yml), the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, RUNNER_TEMP, then the
 * post step with the saved state as STATE_*. Workflow commands in the output are read as the
 * runner reads them (annotations, groups, stop-commands).
 *
 * A job can be cancelled while the main step runs, the way actions/runner cancels a step
 * (src/Runner.Sdk/ProcessInvoker.cs, CancelAndKillProcessTree, with killProcessOnCancel: false for
 * node actions): SIGINT to the step's process alone (kill(pid), not its process group), SIGTERM
 * 7.5 s later if it still runs, SIGKILL to that process (Process.Kill(), not the tree) 2.5 s after
 * that; once the process has exited the runner waits at most 5 s for its output pipes to close. The
 * post step then runs (post-if defaults to always(), which holds for a cancelled job too).
 *
 *   node scripts/run-action.ts --with packages=app-shells/bash --with size-budget=20MiB
 *   node scripts/run-action.ts --cancel-on '^>>> Emerging' --time-limit 600000 --with ...
 *   node scripts/run-action.ts --kill-on '^lxc-execute ' --with ...
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
  mkdirSync,
  chmodSync,
  mkdtempSync,
  rmSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ACTION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface ActionRun {
  readonly inputs?: Readonly<Record<string, string>>
  readonly workspace?: string
  /** The runner's temp directory; a fresh one by default. */
  readonly runnerTemp?: string
  /** Extra environment (e.g. the Actions services), and keys to remove with undefined. */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly runId?: string
  /** Echo the steps' output to this process's stdout as it comes. */
  readonly echo?: boolean
  /** Cancel the job while the main step runs, as the runner does; the post step runs after. */
  readonly cancel?: Cancel
  /**
   * Kill the main step's whole process tree with SIGKILL (lxc-execute, emerge, the container), as
   * the OOM killer or the runner's orphan-process cleanup would; the post step runs after.
   */
  readonly kill?: Trigger
  /**
   * Hard limit for each step's run time (default 20 minutes): the step's whole process tree is
   * killed with SIGKILL when it passes, so that a hung step cannot hang the caller. Not what the
   * runner does (that is timeout-minutes, a cancellation); the post step still runs after main.
   */
  readonly timeLimitMs?: number
}

/** When to act on the main step; the first of the two that happens. */
export interface Trigger {
  /** This long after the main step started. */
  readonly afterMs?: number
  /** When a line of the main step's output (stdout or stderr) matches. */
  readonly whenOutput?: RegExp
}

/** When to cancel the job. */
export type Cancel = Trigger

/** The runner's waits, from actions/runner's ProcessInvoker. */
export const RUNNER_SIGINT_TIMEOUT_MS = 7_500
export const RUNNER_SIGTERM_TIMEOUT_MS = 2_500
/** After the process exited, how long the runner waits for its output streams to close. */
export const RUNNER_STREAM_GRACE_MS = 5_000
export const DEFAULT_TIME_LIMIT_MS = 20 * 60_000

export interface SentSignal {
  readonly signal: NodeJS.Signals
  /** Milliseconds after the step started. */
  readonly atMs: number
}

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice'
  readonly message: string
  readonly title: string | undefined
}

export interface StepResult {
  /** The exit status; 1 when a signal ended the process (see signal), as the runner reports it. */
  readonly exitCode: number
  readonly output: string
  readonly annotations: readonly Annotation[]
  /** The signal that ended the step's process, or null when it exited. */
  readonly signal?: NodeJS.Signals | null
  /** Signals sent to the step's process: the cancellation, or the SIGKILL of the kill option or the time limit (to its whole tree). */
  readonly sent?: readonly SentSignal[]
  /** The hard time limit passed and the step's process tree was killed. */
  readonly timedOut?: boolean
  readonly durationMs?: number
}

export interface ActionResult {
  readonly main: StepResult
  readonly post: StepResult
  readonly outputs: Readonly<Record<string, string>>
  readonly state: Readonly<Record<string, string>>
  readonly summary: string
  readonly runnerTemp: string
  /** The job was cancelled while the main step ran (the cancel option fired in time). */
  readonly cancelled: boolean
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file: `name<<DELIM\nvalue\nDELIM` or `name=value` lines. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc?.[1] && heredoc[2]) {
      const end = lines.indexOf(heredoc[2], i + 1)
      if (end < 0) throw new Error(`${heredoc[1]}: no closing delimiter ${heredoc[2]}`)
      values[heredoc[1]] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return values
}

/** Annotations from workflow commands, honouring ::stop-commands:: as the runner does. */
export function parseAnnotations(output: string): Annotation[] {
  const found: Annotation[] = []
  let stopToken: string | undefined
  const decode = (s: string): string =>
    s
      .replaceAll('%0D', '\r')
      .replaceAll('%0A', '\n')
      .replaceAll('%3A', ':')
      .replaceAll('%2C', ',')
      .replaceAll('%25', '%')
  for (const line of output.split('\n')) {
    if (stopToken !== undefined) {
      if (line === `::${stopToken}::`) stopToken = undefined
      continue
    }
    const m = /^::(error|warning|notice|stop-commands)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m?.[1]) continue
    if (m[1] === 'stop-commands') {
      stopToken = m[3]
      continue
    }
    const title = /(?:^|,)title=([^,]*)/.exec(m[2] ?? '')?.[1]
    found.push({
      level: m[1] as Annotation['level'],
      message: decode(m[3] ?? ''),
      title: title === undefined ? undefined : decode(title),
    })
  }
  return found
}

/** The one expression action.yml defaults use: the job's token (GITHUB_TOKEN here, if set). */
function expand(text: string): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    if (expression === 'github.token') return process.env.GITHUB_TOKEN ?? ''
    throw new Error(`run-action.ts cannot evaluate \${{ ${expression} }} in action.yml`)
  })
}

/** The runner's INPUT_* variables: given inputs, else action.yml's defaults. */
export function inputEnv(
  inputs: Readonly<Record<string, string>>,
  actionYml: string,
): Record<string, string> {
  const declared =
    (parse(actionYml) as { inputs?: Record<string, { default?: string }> }).inputs ?? {}
  for (const name of Object.keys(inputs)) {
    if (!(name in declared)) throw new Error(`action.yml declares no input '${name}'`)
  }
  const env: Record<string, string> = {}
  for (const [name, spec] of Object.entries(declared)) {
    const value = inputs[name] ?? (spec.default === undefined ? undefined : expand(spec.default))
    if (value !== undefined) env[`INPUT_${name.replaceAll(' ', '_').toUpperCase()}`] = value
  }
  return env
}

/** Processes below pid (children, their children, ...), from /proc; pid itself first. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = []
  const queue = [pid]
  while (queue.length) {
    const next = queue.shift() ?? 0
    tree.push(next)
    queue.push(...(parents.get(next) ?? []))
  }
  return tree
}

/** SIGKILL to a process tree, repeated while it still forks. */
function killTree(pid: number): void {
  for (let round = 0; round < 5; round++) {
    const tree = processTree(pid)
    let alive = 0
    for (const p of tree) {
      try {
        process.kill(p, 'SIGKILL')
        alive++
      } catch {
        // gone
      }
    }
    if (!alive) return
  }
}

/** What a run left on the host below its runner temp directory (see leftBehind). */
export interface LeftBehind {
  /** Processes whose command line, environment or working directory names the directory. */
  readonly processes: readonly string[]
  /** Mount points at or below it (/proc/self/mountinfo), other than those listed as expected. */
  readonly mounts: readonly string[]
  /** Sandboxes left in <runnerTemp>/lxcmin. */
  readonly sandboxes: readonly string[]
  /** Working copies of the cache left in <runnerTemp>/lxcmin-cache. */
  readonly cacheWork: readonly string[]
  /** LXC's lock files and directories for the sandboxes (/run/lxc/lock/<runnerTemp>/lxcmin/...). */
  readonly lxcLocks: readonly string[]
}

const LXC_LOCK_DIR = '/run/lxc/lock'

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort()
  } catch {
    return []
  }
}

function walk(dir: string): string[] {
  return listDir(dir).flatMap((entry) => {
    const full = path.join(dir, entry)
    return [full, ...walk(full)]
  })
}

/** Processes that name dir in their command line, environment or working directory. */
export function processesUsing(dir: string): string[] {
  const found: string[] = []
  const mentions = (text: string): boolean => text === dir || text.includes(dir + '/')
  for (const pid of listDir('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`)
      } catch {
        // a kernel thread, or gone
      }
      const why = [
        mentions(cmdline) || cmdline.includes(dir) ? 'cmdline' : '',
        environ.some((e) => mentions(e.slice(e.indexOf('=') + 1))) ? 'environ' : '',
        mentions(cwd) ? `cwd ${cwd}` : '',
      ].filter(Boolean)
      if (why.length) found.push(`${pid} (${why.join(', ')}): ${cmdline || '[no cmdline]'}`)
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

/** Mount points at or below dir, from /proc/self/mountinfo (octal escapes decoded). */
export function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'))
}

/**
 * What a run left behind: the caller decides what counts. `expectedMounts` are mount points the
 * caller made itself (a tmpfs as the runner temp directory).
 */
export function leftBehind(runnerTemp: string, expectedMounts: readonly string[] = []): LeftBehind {
  return {
    processes: processesUsing(runnerTemp),
    mounts: mountsBelow(runnerTemp).filter((m) => !expectedMounts.includes(m)),
    sandboxes: listDir(path.join(runnerTemp, 'lxcmin')),
    cacheWork: listDir(path.join(runnerTemp, 'lxcmin-cache')),
    lxcLocks: walk(path.join(LXC_LOCK_DIR, runnerTemp, 'lxcmin')),
  }
}

interface StepControl {
  readonly echo: boolean
  readonly cancel?: Cancel | undefined
  readonly kill?: Trigger | undefined
  readonly timeLimitMs: number
}

function runStep(
  script: string,
  env: NodeJS.ProcessEnv,
  control: StepControl,
): Promise<StepResult> {
  const { echo, cancel, kill, timeLimitMs } = control
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, [script], {
      env,
      cwd: env.GITHUB_WORKSPACE,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const sent: SentSignal[] = []
    const timers: NodeJS.Timeout[] = []
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let cancelling = false
    let timedOut = false
    let done = false
    const send = (signal: NodeJS.Signals): void => {
      if (exit || child.pid === undefined) return
      try {
        process.kill(child.pid, signal)
        sent.push({ signal, atMs: Date.now() - started })
      } catch {
        // exited meanwhile
      }
    }
    // As ProcessInvoker.CancelAndKillProcessTree(killProcessOnCancel: false).
    const cancelStep = (): void => {
      if (cancelling || exit) return
      cancelling = true
      send('SIGINT')
      timers.push(
        setTimeout(() => {
          send('SIGTERM')
          timers.push(setTimeout(() => send('SIGKILL'), RUNNER_SIGTERM_TIMEOUT_MS))
        }, RUNNER_SIGINT_TIMEOUT_MS),
      )
    }
    let killed = false
    const killStep = (): void => {
      if (killed || exit || child.pid === undefined) return
      killed = true
      sent.push({ signal: 'SIGKILL', atMs: Date.now() - started })
      killTree(child.pid)
    }
    const matcher = (trigger: Trigger | undefined): RegExp | undefined =>
      trigger?.whenOutput &&
      new RegExp(trigger.whenOutput.source, trigger.whenOutput.flags.replace(/[gy]/g, ''))
    const actions = [
      { pattern: matcher(cancel), act: cancelStep },
      { pattern: matcher(kill), act: killStep },
    ]
    const reader = (): ((text: string) => void) => {
      let partial = ''
      return (text) => {
        output += text
        if (echo) process.stdout.write(text)
        const lines = (partial + text).split('\n')
        partial = lines.pop() ?? ''
        for (const { pattern, act } of actions)
          if (pattern && lines.some((line) => pattern.test(line))) act()
      }
    }
    child.stdout.setEncoding('utf8').on('data', reader())
    child.stderr.setEncoding('utf8').on('data', reader())
    if (cancel?.afterMs !== undefined) timers.push(setTimeout(cancelStep, cancel.afterMs))
    if (kill?.afterMs !== undefined) timers.push(setTimeout(killStep, kill.afterMs))
    timers.push(
      setTimeout(() => {
        if (exit || killed) return
        timedOut = true
        killStep()
      }, timeLimitMs),
    )
    const finish = (): void => {
      if (done || !exit) return
      done = true
      for (const timer of timers) clearTimeout(timer)
      resolve({
        exitCode: exit.code ?? 1,
        output,
        annotations: parseAnnotations(output),
        signal: exit.signal,
        sent,
        timedOut,
        durationMs: Date.now() - started,
      })
    }
    child.on('error', (error) => {
      for (const timer of timers) clearTimeout(timer)
      reject(error)
    })
    child.on('exit', (code, signal) => {
      exit = { code, signal }
      // Processes left behind may hold the pipes: the runner goes on after 5 s all the same.
      timers.push(setTimeout(finish, RUNNER_STREAM_GRACE_MS))
    })
    child.on('close', finish)
  })
}

/** The runner temp directories runAction made itself (not those a caller passed in). */
const madeRunnerTemps: string[] = []

/**
 * Empties what runAction made, as the runner empties RUNNER_TEMP after a job. Call it when the
 * results are no longer read (the outputs name files in there, e.g. the size report).
 */
export function removeRunnerTemps(): void {
  for (const dir of madeRunnerTemps.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export async function runAction(run: ActionRun = {}): Promise<ActionResult> {
  let runnerTemp = run.runnerTemp
  if (runnerTemp === undefined) {
    runnerTemp = mkdtempSync(path.join(tmpdir(), 'lxcmin-runner-'))
    // As the runner makes its _temp: with umask 022, so others may enter.
    chmodSync(runnerTemp, 0o755)
    madeRunnerTemps.push(runnerTemp)
  }
  const files = path.join(runnerTemp, '_runner_file_commands')
  mkdirSync(files, { recursive: true })
  const file = (name: string): string => {
    const p = path.join(files, `${name}_${randomUUID()}`)
    writeFileSync(p, '')
    return p
  }
  const actionYml = readFileSync(path.join(ACTION_DIR, 'action.yml'), 'utf8')
  const runs = (parse(actionYml) as { runs: { main: string; post?: string } }).runs
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: run.workspace ?? process.cwd(),
    GITHUB_RUN_ID: run.runId ?? String(Date.now()),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_OUTPUT: file('set_output'),
    GITHUB_STATE: file('save_state'),
    GITHUB_STEP_SUMMARY: file('step_summary'),
    GITHUB_ENV: file('set_env'),
    GITHUB_PATH: file('add_path'),
    ...inputEnv(run.inputs ?? {}, actionYml),
  }
  for (const [k, v] of Object.entries(run.env ?? {})) base[k] = v
  const env = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined))
  const echo = run.echo ?? false
  const timeLimitMs = run.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS
  const main = await runStep(path.join(ACTION_DIR, runs.main), env, {
    echo,
    cancel: run.cancel,
    kill: run.kill,
    timeLimitMs,
  })
  const cancelled = (main.sent ?? []).some((s) => s.signal === 'SIGINT')
  const state = parseCommandFile(readFileSync(base.GITHUB_STATE ?? '', 'utf8'))
  const postEnv: NodeJS.ProcessEnv = {
    ...env,
    GITHUB_STATE: file('save_state'),
    GITHUB_OUTPUT: file('set_output'),
  }
  for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v
  // post-if defaults to always(): the post step runs after a failed or cancelled main step too.
  const post = runs.post
    ? await runStep(path.join(ACTION_DIR, runs.post), postEnv, { echo, timeLimitMs })
    : { exitCode: 0, output: '', annotations: [] }
  return {
    main,
    post,
    outputs: parseCommandFile(readFileSync(base.GITHUB_OUTPUT ?? '', 'utf8')),
    state,
    summary: readFileSync(base.GITHUB_STEP_SUMMARY ?? '', 'utf8'),
    runnerTemp,
    cancelled,
  }
}

async function cli(argv: readonly string[]): Promise<number> {
  const inputs: Record<string, string> = {}
  let workspace: string | undefined
  const cancel: { afterMs?: number; whenOutput?: RegExp } = {}
  const kill: { afterMs?: number; whenOutput?: RegExp } = {}
  let timeLimitMs: number | undefined
  const milliseconds = (arg: string, value: string): number => {
    if (!/^\d+$/.test(value)) throw new Error(`${arg} takes milliseconds, got '${value}'`)
    return Number(value)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const value = argv[i + 1] ?? ''
    if (arg === '--with') {
      const eq = value.indexOf('=')
      if (eq < 1) throw new Error(`--with takes name=value, got '${value}'`)
      inputs[value.slice(0, eq)] = value.slice(eq + 1)
      i++
    } else if (arg === '--workspace') {
      workspace = path.resolve(value)
      i++
    } else if (arg === '--cancel-after') {
      cancel.afterMs = milliseconds(arg, value)
      i++
    } else if (arg === '--cancel-on') {
      cancel.whenOutput = new RegExp(value)
      i++
    } else if (arg === '--kill-after') {
      kill.afterMs = milliseconds(arg, value)
      i++
    } else if (arg === '--kill-on') {
      kill.whenOutput = new RegExp(value)
      i++
    } else if (arg === '--time-limit') {
      timeLimitMs = milliseconds(arg, value)
      i++
    } else {
      throw new Error(
        `unknown argument '${arg}'; usage: run-action.ts [--workspace DIR] [--cancel-after MS] [--cancel-on REGEX] [--kill-after MS] [--kill-on REGEX] [--time-limit MS] --with name=value ...`,
      )
    }
  }
  // Like the runner, keep one RUNNER_TEMP when the caller has one: cache paths depend on it.
  const runnerTemp = process.env.RUNNER_TEMP
  const result = await runAction({
    inputs,
    echo: true,
    ...(workspace ? { workspace } : {}),
    ...(runnerTemp ? { runnerTemp } : {}),
    ...(Object.keys(cancel).length ? { cancel } : {}),
    ...(Object.keys(kill).length ? { kill } : {}),
    ...(timeLimitMs === undefined ? {} : { timeLimitMs }),
  })
  const how = (step: StepResult): string =>
    [
      step.signal ? `killed by ${step.signal}` : `exited ${step.exitCode}`,
      ...(step.sent?.length ? [`(sent ${step.sent.map((s) => s.signal).join(', ')})`] : []),
      ...(step.timedOut ? ['(over the time limit)'] : []),
    ].join(' ')
  console.log(
    `\n== ${result.cancelled ? 'job cancelled; ' : ''}main ${how(result.main)}, post ${how(result.post)}`,
  )
  console.log('== outputs')
  for (const [k, v] of Object.entries(result.outputs))
    console.log(`${k}: ${v.includes('\n') ? `\n  ${v.replaceAll('\n', '\n  ')}` : v}`)
  const found: Readonly<Record<keyof LeftBehind, readonly string[]>> = leftBehind(result.runnerTemp)
  const left = Object.entries(found).filter(([, v]) => v.length)
  console.log(`== left behind in ${result.runnerTemp}: ${left.length ? '' : 'nothing'}`)
  for (const [k, v] of left) console.log(`${k}:\n  ${v.join('\n  ')}`)
  return result.cancelled ? 1 : result.main.exitCode || result.post.exitCode
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await cli(process.argv.slice(2))
}
