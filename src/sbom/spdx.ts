/**
 * SPDX 2.3 JSON: the image as the described package, containing one package per Gentoo package
 * (DEPENDS_ON from their RDEPEND, CONTAINS to their remaining files) and one for the files input.
 */
import { createHash } from 'node:crypto'
import { render, type Expr } from './licenses.ts'
import type { FileItem, Inventory, PackageItem } from './inventory.ts'
import { ociPurl } from './inventory.ts'

/** What the document is about: the image, and when it was made. */
export interface SbomSubject {
  readonly name: string
  /** The OCI manifest digest, `sha256:<hex>`. */
  readonly digest?: string
  /** sha256 of the image's tarball, hex. */
  readonly sha256?: string
  /** The tarball's file name. */
  readonly fileName?: string
}

export interface DocumentContext {
  readonly subject: SbomSubject
  /** ISO 8601, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly created: string
  /** `Tool: lxcmin-<version>`. */
  readonly tool: string
}

type Json = Record<string, unknown>

/** An SPDX idstring from any text: `[A-Za-z0-9.-]`, every other character `-`. */
export function spdxIdPart(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]/g, '-')
}

/** Unique ids for the keys, in their order: the sanitized text, then `-2`, `-3`... on a clash. */
function uniqueIds(prefix: string, keys: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>()
  const used = new Set<string>()
  for (const key of keys) {
    const base = `${prefix}${spdxIdPart(key)}`
    let id = base
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`
    used.add(id)
    ids.set(key, id)
  }
  return ids
}

/** SPDX 2.3 section 7.9: sha1 of the sorted sha1s of a package's files, concatenated. */
export function verificationCode(files: readonly FileItem[]): string {
  const sorted = files.map((f) => f.sha1).sort()
  return createHash('sha1').update(sorted.join('')).digest('hex')
}

const NOASSERTION = 'NOASSERTION'
const DOWNLOAD = /^(?:https?|ftp):\/\/[^\s]+$/

function filesFields(files: readonly FileItem[]): Json {
  if (!files.length) return { filesAnalyzed: false }
  return {
    filesAnalyzed: true,
    packageVerificationCode: { packageVerificationCodeValue: verificationCode(files) },
  }
}

function licenseText(expr: Expr | undefined): string {
  return expr ? render(expr) : NOASSERTION
}

function gentooPackage(p: PackageItem, id: string, context: DocumentContext): Json {
  const properties = [
    `gentoo:slot=${p.subslot ? `${p.slot}/${p.subslot}` : p.slot}`,
    `gentoo:repository=${p.repository}`,
    `gentoo:use=${p.use.join(' ')}`,
  ]
  const homepage = p.homepages.find((h) => DOWNLOAD.test(h))
  return {
    SPDXID: id,
    name: `${p.category}/${p.name}`,
    versionInfo: p.version,
    downloadLocation: p.sourceUrls.find((u) => DOWNLOAD.test(u)) ?? NOASSERTION,
    ...(homepage ? { homepage } : {}),
    ...(p.description ? { summary: p.description } : {}),
    ...filesFields(p.files),
    licenseConcluded: NOASSERTION,
    licenseDeclared: licenseText(p.license),
    copyrightText: NOASSERTION,
    externalRefs: [
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl },
      ...p.sourceUrls
        .filter((u) => !/\s/.test(u))
        .map((u) => ({
          referenceCategory: 'OTHER',
          referenceType: 'gentoo-src-uri',
          referenceLocator: u,
        })),
    ],
    annotations: properties.map((comment) => ({
      annotationDate: context.created,
      annotationType: 'OTHER',
      annotator: context.tool,
      comment,
    })),
  }
}

function imagePackage(context: DocumentContext, license: Expr | undefined): Json {
  const { subject } = context
  return {
    SPDXID: 'SPDXRef-Image',
    name: subject.name,
    ...(subject.digest ? { versionInfo: subject.digest } : {}),
    ...(subject.fileName ? { packageFileName: subject.fileName } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
    ...(subject.sha256
      ? { checksums: [{ algorithm: 'SHA256', checksumValue: subject.sha256 }] }
      : {}),
    ...(subject.digest
      ? {
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: ociPurl(subject.name, subject.digest),
            },
          ],
        }
      : {}),
    licenseConcluded: NOASSERTION,
    licenseDeclared: licenseText(license),
    copyrightText: NOASSERTION,
  }
}

function fileEntry(f: FileItem, id: string): Json {
  return {
    SPDXID: id,
    fileName: `.${f.path}`,
    checksums: [
      { algorithm: 'SHA1', checksumValue: f.sha1 },
      { algorithm: 'SHA256', checksumValue: f.sha256 },
    ],
    licenseConcluded: NOASSERTION,
    copyrightText: NOASSERTION,
  }
}

/** The document without its namespace (sbom.ts derives that from a hash of the rest). */
export function spdxDocument(inventory: Inventory, context: DocumentContext): Json {
  const pkgIds = uniqueIds(
    'SPDXRef-Package-',
    inventory.packages.map((p) => p.cpv),
  )
  const allFiles = [
    ...inventory.packages.flatMap((p) => p.files.map((f) => ({ owner: pkgIds.get(p.cpv), f }))),
    ...inventory.ownFiles.map((f) => ({ owner: 'SPDXRef-OwnFiles', f })),
  ]
  const fileIds = uniqueIds(
    'SPDXRef-File-',
    allFiles.map(({ f }) => f.path),
  )
  const id = (map: Map<string, string>, key: string): string => map.get(key) ?? ''
  const relationships: Json[] = [
    {
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: 'SPDXRef-Image',
    },
  ]
  const relate = (from: string, type: string, to: string): void => {
    relationships.push({ spdxElementId: from, relationshipType: type, relatedSpdxElement: to })
  }
  for (const p of inventory.packages) relate('SPDXRef-Image', 'CONTAINS', id(pkgIds, p.cpv))
  relate('SPDXRef-Image', 'CONTAINS', 'SPDXRef-OwnFiles')
  for (const p of inventory.packages)
    for (const d of p.depends) relate(id(pkgIds, p.cpv), 'DEPENDS_ON', id(pkgIds, d))
  for (const { owner, f } of allFiles) relate(owner ?? '', 'CONTAINS', id(fileIds, f.path))
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: context.subject.name,
    creationInfo: { created: context.created, creators: [context.tool] },
    documentDescribes: ['SPDXRef-Image'],
    packages: [
      imagePackage(context, inventory.license),
      ...inventory.packages.map((p) => gentooPackage(p, id(pkgIds, p.cpv), context)),
      {
        SPDXID: 'SPDXRef-OwnFiles',
        name: 'files',
        summary: "The image's own files: the files input",
        downloadLocation: NOASSERTION,
        ...filesFields(inventory.ownFiles),
        licenseConcluded: NOASSERTION,
        licenseDeclared: NOASSERTION,
        copyrightText: NOASSERTION,
      },
    ],
    files: allFiles.map(({ f }) => fileEntry(f, id(fileIds, f.path))),
    relationships,
    ...(inventory.extracted.length
      ? {
          hasExtractedLicensingInfos: inventory.extracted.map((e) => ({
            licenseId: e.id,
            name: e.name,
            extractedText: e.text,
            comment: `Gentoo licence name ${e.name}: no SPDX id in its repository's metadata/license-mapping.conf`,
          })),
        }
      : {}),
  }
}
