/**
 * Runs the bundled action the way the GitHub runner does: inputs as INPUT_* (with the defaults of
 * action.yml), the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, RUNNER_TEMP, then the
 * post step with the saved state as STATE_*. Workflow commands in the output are read as the
 * runner reads them (annotations, groups, stop-commands).
 *
 *   node scripts/run-action.ts --with packages=app-shells/bash --with size-budget=20MiB
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
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
}

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice'
  readonly message: string
  readonly title: string | undefined
}

export interface StepResult {
  readonly exitCode: number
  readonly output: string
  readonly annotations: readonly Annotation[]
}

export interface ActionResult {
  readonly main: StepResult
  readonly post: StepResult
  readonly outputs: Readonly<Record<string, string>>
  readonly state: Readonly<Record<string, string>>
  readonly summary: string
  readonly runnerTemp: string
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
    const value = inputs[name] ?? spec.default
    if (value !== undefined) env[`INPUT_${name.replaceAll(' ', '_').toUpperCase()}`] = value
  }
  return env
}

function runStep(script: string, env: NodeJS.ProcessEnv, echo: boolean): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env,
      cwd: env.GITHUB_WORKSPACE,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const take = (chunk: Buffer): void => {
      output += chunk.toString()
      if (echo) process.stdout.write(chunk)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({ exitCode: code ?? 1, output, annotations: parseAnnotations(output) }),
    )
  })
}

export async function runAction(run: ActionRun = {}): Promise<ActionResult> {
  const runnerTemp = run.runnerTemp ?? mkdtempSync(path.join(tmpdir(), 'lxcmin-runner-'))
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
  const main = await runStep(path.join(ACTION_DIR, runs.main), env, echo)
  const state = parseCommandFile(readFileSync(base.GITHUB_STATE ?? '', 'utf8'))
  const postEnv: NodeJS.ProcessEnv = {
    ...env,
    GITHUB_STATE: file('save_state'),
    GITHUB_OUTPUT: file('set_output'),
  }
  for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v
  // post-if defaults to always(): the post step runs after a failed main step too.
  const post = runs.post
    ? await runStep(path.join(ACTION_DIR, runs.post), postEnv, echo)
    : { exitCode: 0, output: '', annotations: [] }
  return {
    main,
    post,
    outputs: parseCommandFile(readFileSync(base.GITHUB_OUTPUT ?? '', 'utf8')),
    state,
    summary: readFileSync(base.GITHUB_STEP_SUMMARY ?? '', 'utf8'),
    runnerTemp,
  }
}

async function cli(argv: readonly string[]): Promise<number> {
  const inputs: Record<string, string> = {}
  let workspace: string | undefined
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
    } else {
      throw new Error(
        `unknown argument '${arg}'; usage: run-action.ts [--workspace DIR] --with name=value ...`,
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
  })
  console.log(`\n== main exited ${result.main.exitCode}, post exited ${result.post.exitCode}`)
  console.log('== outputs')
  for (const [k, v] of Object.entries(result.outputs))
    console.log(`${k}: ${v.includes('\n') ? `\n  ${v.replaceAll('\n', '\n  ')}` : v}`)
  return result.main.exitCode || result.post.exitCode
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await cli(process.argv.slice(2))
}
