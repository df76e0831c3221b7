/**
 * Writes the README's inputs and outputs tables from action.yml, so they never disagree (as
 * actions/checkout does). `--check` fails when the README is not up to date.
 *
 *   node scripts/readme-usage.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { format, resolveConfig } from 'prettier'
import { parse } from 'yaml'

interface ActionYml {
  inputs: Record<string, { description: string; default?: string; required?: boolean }>
  outputs: Record<string, { description: string }>
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

export function usageTables(actionYml: string): { inputs: string; outputs: string } {
  const action = parse(actionYml) as ActionYml
  const inputs = [
    '| Input | Default | Accepted values |',
    '| --- | --- | --- |',
    ...Object.entries(action.inputs).map(([name, spec]) => {
      const def = spec.required ? '(required)' : spec.default ? `\`${cell(spec.default)}\`` : ''
      return `| \`${name}\` | ${def} | ${cell(spec.description)} |`
    }),
  ].join('\n')
  const outputs = [
    '| Output | Value |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(
      ([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`,
    ),
  ].join('\n')
  return { inputs, outputs }
}

/** The README with its generated tables replaced. */
export function withUsage(readme: string, tables: { inputs: string; outputs: string }): string {
  const put = (text: string, what: string, table: string): string => {
    const start = `<!-- ${what}:start (generated from action.yml by scripts/readme-usage.ts) -->`
    const end = `<!-- ${what}:end -->`
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} block`)
    return `${text.slice(0, from + start.length)}\n\n${table}\n\n${text.slice(to)}`
  }
  return put(put(readme, 'inputs', tables.inputs), 'outputs', tables.outputs)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const readmePath = path.join(root, 'README.md')
  const readme = readFileSync(readmePath, 'utf8')
  const generated = withUsage(
    readme,
    usageTables(readFileSync(path.join(root, 'action.yml'), 'utf8')),
  )
  // Formatted as prettier formats the rest of the tree, so that the check and prettier agree.
  const next = await format(generated, {
    ...(await resolveConfig(readmePath)),
    filepath: readmePath,
  })
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md is out of date with action.yml: run node scripts/readme-usage.ts')
      process.exitCode = 1
    }
  } else {
    writeFileSync(readmePath, next)
  }
}
