/**
 * CycloneDX 1.6 JSON: the image as `metadata.component` (a container), one component per Gentoo
 * package with its remaining files nested as `file` components, one for the files input, and
 * `dependencies` from the image to every package and from each package to its RDEPEND.
 */
import { render } from './licenses.ts'
import { ociPurl, type FileItem, type Inventory, type PackageItem } from './inventory.ts'
import type { DocumentContext } from './spdx.ts'

type Json = Record<string, unknown>

const IMAGE_REF = 'image'
const OWN_FILES_REF = 'files'

function fileComponent(owner: string, f: FileItem): Json {
  return {
    type: 'file',
    'bom-ref': `${owner}#${f.path}`,
    name: f.path,
    hashes: [
      { alg: 'SHA-1', content: f.sha1 },
      { alg: 'SHA-256', content: f.sha256 },
    ],
  }
}

function packageComponent(p: PackageItem): Json {
  const properties = [
    { name: 'gentoo:repository', value: p.repository },
    { name: 'gentoo:slot', value: p.subslot ? `${p.slot}/${p.subslot}` : p.slot },
    { name: 'gentoo:use', value: p.use.join(' ') },
  ]
  const references = [
    ...p.homepages.map((url) => ({ type: 'website', url })),
    ...p.sourceUrls.map((url) => ({ type: 'source-distribution', url })),
  ]
  return {
    type: 'library',
    'bom-ref': p.purl,
    group: p.category,
    name: p.name,
    version: p.version,
    ...(p.description ? { description: p.description } : {}),
    ...(p.license ? { licenses: [{ expression: render(p.license) }] } : {}),
    purl: p.purl,
    ...(references.length ? { externalReferences: references } : {}),
    properties,
    ...(p.files.length ? { components: p.files.map((f) => fileComponent(p.purl, f)) } : {}),
  }
}

/** The document with a placeholder serialNumber (sbom.ts derives it from a hash of the rest). */
export function cyclonedxDocument(inventory: Inventory, context: DocumentContext): Json {
  const { subject } = context
  const purls = new Map(inventory.packages.map((p) => [p.cpv, p.purl]))
  const image: Json = {
    type: 'container',
    'bom-ref': IMAGE_REF,
    name: subject.name,
    ...(subject.digest ? { version: subject.digest } : {}),
    ...(subject.sha256 ? { hashes: [{ alg: 'SHA-256', content: subject.sha256 }] } : {}),
    ...(inventory.license ? { licenses: [{ expression: render(inventory.license) }] } : {}),
    ...(subject.digest ? { purl: ociPurl(subject.name, subject.digest) } : {}),
    ...(subject.fileName
      ? { properties: [{ name: 'lxcmin:tarball', value: subject.fileName }] }
      : {}),
  }
  const toolVersion = context.tool.replace(/^Tool: lxcmin-/, '')
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      timestamp: context.created,
      tools: { components: [{ type: 'application', name: 'lxcmin', version: toolVersion }] },
      component: image,
    },
    components: [
      ...inventory.packages.map(packageComponent),
      {
        type: 'data',
        'bom-ref': OWN_FILES_REF,
        name: 'files',
        description: "The image's own files: the files input",
        ...(inventory.ownFiles.length
          ? { components: inventory.ownFiles.map((f) => fileComponent(OWN_FILES_REF, f)) }
          : {}),
      },
    ],
    dependencies: [
      {
        ref: IMAGE_REF,
        dependsOn: [...inventory.packages.map((p) => p.purl), OWN_FILES_REF].sort(),
      },
      ...inventory.packages.map((p) => ({
        ref: p.purl,
        dependsOn: p.depends
          .map((d) => purls.get(d))
          .filter((d): d is string => d !== undefined)
          .sort(),
      })),
      { ref: OWN_FILES_REF, dependsOn: [] },
    ],
  }
}
