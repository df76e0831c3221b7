/**
 * The SBOM of a finished rootfs: SPDX 2.3 JSON and/or CycloneDX 1.6 JSON, from its package
 * database (inventory.ts). Deterministic: the same root and inputs give the same bytes (the time
 * is the source date epoch's, the document's identity a hash of its content, keys sorted).
 */
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Runner } from '../util/exec.ts'
import { cyclonedxDocument } from './cyclonedx.ts'
import { collectInventory, type Inventory } from './inventory.ts'
import { spdxDocument, spdxIdPart, type DocumentContext, type SbomSubject } from './spdx.ts'

export { imageLicenses } from './inventory.ts'
export type { SbomSubject } from './spdx.ts'

export const SBOM_FORMATS = ['spdx', 'cyclonedx', 'both', 'none'] as const
export type SbomChoice = (typeof SBOM_FORMATS)[number]
export type SbomFormat = 'spdx' | 'cyclonedx'

/** The documents a choice asks for. */
export function sbomFormats(choice: SbomChoice): SbomFormat[] {
  if (choice === 'both') return ['spdx', 'cyclonedx']
  return choice === 'none' ? [] : [choice]
}

export interface SbomSpec {
  readonly rootfs: string
  /** Repository name -> its directory (for metadata/license-mapping.conf and licenses/). */
  readonly repositories: ReadonlyMap<string, string>
  /** Inside paths the files input put in the image. */
  readonly ownFiles: readonly string[]
  readonly subject: SbomSubject
  /** Source date epoch, seconds. */
  readonly epoch: number
  readonly toolVersion: string
  readonly formats: readonly SbomFormat[]
  readonly outputDir: string
  /** Files are `<baseName>.spdx.json` and `<baseName>.cdx.json`. */
  readonly baseName: string
}

export interface SbomWritten {
  readonly format: SbomFormat
  readonly path: string
  readonly bytes: number
  /** Gentoo packages listed. */
  readonly packages: number
  /** Files listed: the packages' and the files input's. */
  readonly files: number
}

/** JSON with every object's keys sorted, two-space indented, a newline at the end. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort)
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return Object.fromEntries(entries.map(([k, x]) => [k, sort(x)]))
    }
    return v
  }
  return `${JSON.stringify(sort(value), null, 2)}\n`
}

/** `YYYY-MM-DDTHH:MM:SSZ` of an epoch in seconds. */
export function isoSeconds(epoch: number): string {
  if (!Number.isFinite(epoch)) throw new Error(`not a source date epoch: ${String(epoch)}`)
  return new Date(Math.trunc(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** A version-5-shaped UUID from the sha256 of a text: the same text, the same UUID. */
export function contentUuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex').slice(0, 32).split('')
  h[12] = '5'
  h[16] = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16)
  const s = h.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

/** The two documents' text, their identity derived from the rest of their content. */
export function renderSbom(
  inventory: Inventory,
  context: DocumentContext,
  format: SbomFormat,
): string {
  if (format === 'spdx') {
    const doc = spdxDocument(inventory, context)
    const uuid = contentUuid(stableJson(doc))
    return stableJson({
      ...doc,
      documentNamespace: `https://lxcmin.invalid/spdx/${spdxIdPart(context.subject.name)}-${uuid}`,
    })
  }
  const doc = cyclonedxDocument(inventory, context)
  return stableJson({ ...doc, serialNumber: `urn:uuid:${contentUuid(stableJson(doc))}` })
}

const EXTENSION: Record<SbomFormat, string> = { spdx: 'spdx.json', cyclonedx: 'cdx.json' }

/** Writes the documents the formats ask for; nothing (and no reading) for none. */
export async function writeSbom(runner: Runner, spec: SbomSpec): Promise<SbomWritten[]> {
  if (!spec.formats.length) return []
  const inventory = await collectInventory(runner, spec.rootfs, spec.repositories, spec.ownFiles)
  const context: DocumentContext = {
    subject: spec.subject,
    created: isoSeconds(spec.epoch),
    tool: `Tool: lxcmin-${spec.toolVersion}`,
  }
  const files =
    inventory.ownFiles.length + inventory.packages.reduce((n, p) => n + p.files.length, 0)
  await mkdir(spec.outputDir, { recursive: true })
  const written: SbomWritten[] = []
  for (const format of [...new Set(spec.formats)]) {
    const text = renderSbom(inventory, context, format)
    const file = path.join(spec.outputDir, `${spec.baseName}.${EXTENSION[format]}`)
    await writeFile(file, text)
    written.push({
      format,
      path: file,
      bytes: Buffer.byteLength(text),
      packages: inventory.packages.length,
      files,
    })
  }
  return written
}
