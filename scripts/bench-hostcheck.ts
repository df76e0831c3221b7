/**
 * Benchmark, not a test: the host check's cost. The listing before the build and the look for
 * changes after it, on the trees the action watches on this machine (/ and the test host's EROOT),
 * the old way (a Node lstat walk, twice, compared in full) against the new one (GNU find once,
 * then `find -newerct`), alternating; then on a synthetic tree of many files, for the scaling;
 * then, with --action, warm builds of bash through the bundled action with host-check off and
 * warn, alternating, for what the check adds to a build. Prints the figures and writes them into
 * docs/benchmarks.md (## Host check).
 *
 *   source test/gentoo/env.sh
 *   node scripts/bench-hostcheck.ts [--runs N] [--files N] [--action]
 *
 * Needs root, as the action's listings do (or runs them as the user, seeing less).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { changesSince, diffHost, snapshotHost, watchedRoots } from '../src/host/check.ts'
import { findCommand } from '../src/host/tools.ts'
import { createRunner } from '../src/util/exec.ts'
import { skipUnreadable, walkTree } from '../src/util/walk.ts'
import { writeSection } from './bench-section.ts'
import { ACTION_DIR, removeRunnerTemps, runAction } from './run-action.ts'

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    files: { type: 'string', default: '500000' },
    action: { type: 'boolean', default: false },
  },
})
const RUNS = Number(options.runs)
const FILES = Number(options.files)

const finder = {
  runner: createRunner(process.getuid?.() === 0 ? 'root' : 'sudo'),
  find: findCommand('find'),
}

/** The check before this change (src/host/check.ts snapshotHost): a Node lstat walk. */
function oldSnapshot(roots: readonly string[], exclude: readonly string[]): Map<string, string> {
  const skip = new Set(exclude.map((p) => path.resolve(p)))
  const seen = new Map<string, string>()
  for (const root of roots) {
    walkTree(
      path.resolve(root),
      ({ host: file, stats: stat }) => {
        if (skip.has(file) || seen.has(file)) return false
        const mode = (stat.mode & 0o7777).toString(8)
        if (stat.isDirectory()) {
          seen.set(file, `d ${mode} ${stat.uid}:${stat.gid}`)
          return true
        }
        const type = stat.isSymbolicLink() ? 'l' : stat.isFile() ? 'f' : 'o'
        seen.set(file, `${type} ${mode} ${stat.uid}:${stat.gid} ${stat.size} ${stat.mtimeMs}`)
        return false
      },
      skipUnreadable,
    )
  }
  return seen
}

async function seconds<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const started = process.hrtime.bigint()
  const value = await fn()
  return [value, Number(process.hrtime.bigint() - started) / 1e9]
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

interface Row {
  readonly way: string
  readonly before: number
  readonly after: number
}

/** RUNS of each way on the trees, alternating; medians of before and after, in seconds. */
async function compare(
  roots: readonly string[],
  exclude: readonly string[],
): Promise<{ rows: Row[]; paths: number }> {
  const times: Record<string, { before: number[]; after: number[] }> = {
    'old: Node lstat walk, twice, full diff': { before: [], after: [] },
    'new: find, then find -newerct': { before: [], after: [] },
    'new, second half in full: find, twice, full diff': { before: [], after: [] },
  }
  let paths = 0
  const record = (way: string, before: number, after: number): void => {
    times[way]?.before.push(before)
    times[way]?.after.push(after)
  }
  for (let run = 0; run < RUNS; run++) {
    const [old, oldBefore] = await seconds(() => oldSnapshot(roots, exclude))
    const [, oldAfter] = await seconds(() => {
      const changes = diffHost(old, oldSnapshot(roots, exclude))
      return changes
    })
    record('old: Node lstat walk, twice, full diff', oldBefore, oldAfter)
    const [snap, newBefore] = await seconds(() => snapshotHost(finder, roots, exclude))
    const [found, newAfter] = await seconds(() => changesSince(finder, snap))
    record('new: find, then find -newerct', newBefore, newAfter)
    const [, fullAfter] = await seconds(async () =>
      diffHost(snap.entries, (await snapshotHost(finder, roots, exclude)).entries),
    )
    record('new, second half in full: find, twice, full diff', newBefore, fullAfter)
    paths = snap.entries.size
    const changed = found.added.length + found.removed.length + found.changed.length
    if (changed) console.log(`  (run ${run + 1}: ${changed} paths changed meanwhile)`)
  }
  const rows = Object.entries(times).map(([way, t]) => ({
    way,
    before: median(t.before),
    after: median(t.after),
  }))
  return { rows, paths }
}

function table(rows: readonly Row[]): string[] {
  const lines = ['| way | before | after | host check |', '| --- | ---: | ---: | ---: |']
  for (const r of rows) {
    lines.push(
      `| ${r.way} | ${r.before.toFixed(2)} s | ${r.after.toFixed(2)} s | ${(r.before + r.after).toFixed(2)} s |`,
    )
  }
  return lines
}

/** FILES empty files below root/usr, 100 to a directory, 100 directories to a directory. */
function syntheticTree(root: string): string {
  const usr = path.join(root, 'usr')
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(usr, `d${Math.floor(i / 10_000)}`, `d${Math.floor(i / 100) % 100}`)
    if (i % 100 === 0) mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, `f${i % 100}`), '')
  }
  return usr
}

/** Warm bash builds with host-check off and warn, alternating, after one build that fills the cache. */
async function actionRuns(): Promise<string[]> {
  const work = mkdtempSync(path.join(ACTION_DIR, '.bench-hostcheck-'))
  try {
    const inputs = (check: string): Record<string, string> => ({
      packages: 'app-shells/bash',
      upload: 'false',
      'upload-report': 'false',
      cache: 'local',
      'cache-dir': path.join(work, 'cache'),
      'save-cache': 'always',
      'host-check': check,
    })
    const build = async (check: string): Promise<{ total: number; steps: Map<string, number> }> => {
      const [result, total] = await seconds(() =>
        runAction({ workspace: ACTION_DIR, inputs: inputs(check) }),
      )
      removeRunnerTemps()
      if (result.main.exitCode !== 0)
        throw new Error(`host-check ${check} failed:\n${result.main.output.slice(-3000)}`)
      const steps = new Map<string, number>()
      for (const m of result.main.output.matchAll(/^\((.*): ([\d.]+) s\)$/gm))
        steps.set(m[1] ?? '', Number(m[2]))
      return { total, steps }
    }
    await build('off') // fills the cache
    const runs: Record<string, { total: number; steps: Map<string, number> }[]> = {
      off: [],
      warn: [],
    }
    for (let run = 0; run < RUNS; run++) {
      for (const check of ['off', 'warn']) {
        const b = await build(check)
        runs[check]?.push(b)
        console.log(`  host-check ${check}: ${b.total.toFixed(1)} s`)
      }
    }
    const total = (check: string): number => median((runs[check] ?? []).map((r) => r.total))
    const step = (check: string, name: string): number =>
      median((runs[check] ?? []).map((r) => r.steps.get(name) ?? 0))
    const added = total('warn') - total('off')
    const list = (check: string): string =>
      (runs[check] ?? []).map((r) => `${r.total.toFixed(1)} s`).join(', ')
    // The steps the listing runs beside, and the check's own.
    const steps = ['Portage config root', 'Restore cache', 'Host snapshot', 'Host check']
    return [
      `Warm bash builds through the bundled action (\`cache: local\`, filled by one build first; \`upload: false\`, so nothing runs beside the second half), ${RUNS} with \`host-check: off\` and ${RUNS} with \`warn\`, alternating. Medians of the action: off ${total('off').toFixed(1)} s, warn ${total('warn').toFixed(1)} s, a difference of ${added.toFixed(1)} s (${((100 * added) / total('off')).toFixed(1)}% of the build; the runs: off ${list('off')}; warn ${list('warn')}). Medians of the steps, as the action logs them (Host snapshot is the wait for the listing before Plan):`,
      '',
      '| step | off | warn |',
      '| --- | ---: | ---: |',
      ...steps.map(
        (name) =>
          `| ${name} | ${step('off', name).toFixed(1)} s | ${step('warn', name).toFixed(1)} s |`,
      ),
    ]
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')
  const loadBefore = load()
  const eroot = execFileSync('portageq', ['envvar', 'EROOT'], { encoding: 'utf8' }).trim() || '/'
  const roots = watchedRoots(eroot)
  // The action's own directories: RUNNER_TEMP and the workspace, as a run of the action has them.
  const exclude = [tmpdir(), ACTION_DIR]
  console.log(`the action's trees (${roots.length} roots, EROOT ${eroot}):`)
  const host = await compare(roots, exclude)
  for (const line of table(host.rows)) console.log(line)

  const synthetic = mkdtempSync(path.join(tmpdir(), 'lxcmin-bench-hostcheck-'))
  let tree: { rows: Row[]; paths: number }
  try {
    const [usr, made] = await seconds(() => syntheticTree(synthetic))
    console.log(`synthetic tree: ${FILES} files made in ${made.toFixed(1)} s`)
    // Past the check's margin, so that the tree's own making is no change since the listing.
    await sleep(3000)
    tree = await compare([usr], [])
    for (const line of table(tree.rows)) console.log(line)
  } finally {
    rmSync(synthetic, { recursive: true, force: true })
  }
  const action = options.action ? await actionRuns() : []
  for (const line of action) console.log(line)

  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
  const section = [
    '## Host check',
    '',
    `Written by \`node scripts/bench-hostcheck.ts${options.action ? ' --action' : ''}\` on ${new Date().toISOString().slice(0, 10)}; medians of ${RUNS} runs of each way, alternating. Before is the listing before the build, after the look for what changed since (nothing changed here); the old way listed with a Node lstat walk twice and compared in full.`,
    '',
    `- machine: Linux ${kernel}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; ${execFileSync(finder.find, ['--version'], { encoding: 'utf8' }).split('\n')[0]}, Node ${process.version}; load average (1, 5, 15 min) ${loadBefore} before, ${load()} after (other builds and tests ran on the machine meanwhile)`,
    '',
    `The action's trees on this machine (${roots.length} roots below / and the test host's EROOT), ${host.paths} paths:`,
    '',
    ...table(host.rows),
    '',
    `A synthetic tree of ${FILES} empty files in ${Math.ceil(FILES / 100)} directories (${tree.paths} paths):`,
    '',
    ...table(tree.rows),
    '',
    ...(action.length ? [...action, ''] : []),
    "- The new listing streams find's NUL-terminated records into one map (paths as their bytes); it runs at the speed of find itself, which lstat's and prints every entry.",
    "- The new second half prints nothing when nothing changed: `find -newerct` still lstat's every entry, so it costs a walk in C without output. A build that changes the host also lists the changed directories again in full (at most a second full listing).",
    "- In the action the listing runs from Preflight on, beside Sandbox, LXC config, Portage config root and Restore cache (its records are kept as find printed them and read into a map only where something changed after the build); the step Host snapshot is only the wait for it before the first emerge, and the plan's pretend already runs meanwhile. Those steps are Python (portageq) and need the CPU too: on a machine with two CPUs and other jobs, the listing slows them by about its own CPU time (find is mostly system time: lstat and getdents), which is the cost that remains; portageq for the host's EROOT waits for the host's repositories, so that three Python processes and find do not share the two cores at once. The second half starts with the smoke test and runs beside it, Pack, SBOM, Upload, the size checks and the push.",
    '',
    'To reproduce: `source test/gentoo/env.sh && node scripts/bench-hostcheck.ts --action` (as root; `--runs N`, `--files N` for the synthetic tree; without `--action` no builds).',
  ].join('\n')
  await writeSection(path.join(ACTION_DIR, 'docs/benchmarks.md'), section)
}

await main()
