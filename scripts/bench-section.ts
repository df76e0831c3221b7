/** The benchmarks' shared writer: one `## ` section of docs/benchmarks.md, replaced in place. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import * as prettier from 'prettier'

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
