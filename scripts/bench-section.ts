/** The benchmarks' shared writer: one `## ` section of docs/benchmarks.md, replaced in place. */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import * as prettier from 'prettier'
import { formatSize } from '../src/util/units.ts'

/** A command's trimmed output, or '?' when it fails: a machine line never stops a benchmark. */
export function commandText(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch {
    return '?'
  }
}

/** The load averages over 1, 5 and 15 minutes, as `0.42, 0.30, 0.25`. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')
}

/** The machine a benchmark ran on: kernel, CPU model and count, memory. */
export function machineSummary(): string {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?'
  return `${commandText('uname', ['-srm'])}, ${cpu}, ${os.availableParallelism()} CPUs, ${formatSize(os.totalmem())} RAM`
}

/** The file's text with the section starting at `heading` replaced (or appended), to the next `## `. */
export function withSection(old: string, heading: string, section: string): string {
  const start = old.indexOf(`\n${heading}\n`)
  if (start < 0) return `${old.trimEnd()}\n\n${section}`
  const after = old.indexOf('\n## ', start + heading.length + 2)
  return `${old.slice(0, start + 1)}${section}${after < 0 ? '' : `\n${old.slice(after + 1)}`}`
}

/**
 * Writes `section` (its first line is its `## ` heading) into `file`, formatted like the rest of
 * the repository so that `npm run format:check` passes.
 */
export async function writeSection(file: string, section: string): Promise<string> {
  const heading = section.split('\n')[0] ?? ''
  const options = { ...(await prettier.resolveConfig(file)), parser: 'markdown' }
  const markdown = await prettier.format(section, options)
  const old = existsSync(file) ? readFileSync(file, 'utf8') : ''
  writeFileSync(file, await prettier.format(withSection(old, heading, markdown), options))
  return markdown
}
