/**
 * Format lxc: the rootfs tarball and the metadata tarball that `lxc-create -t local` imports
 * alongside it (`lxc-create -t local -- --fstree <rootfs> --metadata <meta>`). lxc-create -t local
 * unpacks both with `tar -J`, so both are xz.
 */
import path from 'node:path'
import { BuildError } from '../../util/errors.ts'
import { LEVELS, tarballName } from '../compression.ts'
import { archiveFiles, archiveRootfs } from '../tar.ts'
import type { ContainerSpec, FormatJob, PackFormat } from './format.ts'

/** The metadata tarball of format lxc: always xz, since lxc-create -t local reads it with tar -J. */
export function metadataTarballName(name: string): string {
  return `${name}.meta.tar.xz`
}

/** Node's process.arch as the kernel (and lxc.arch, and image metadata) name it. */
export function lxcArchitecture(nodeArch: string = process.arch): string | undefined {
  const names: Readonly<Record<string, string>> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    ia32: 'i686',
    arm: 'armv7l',
    ppc64: 'ppc64le',
    riscv64: 'riscv64',
    s390x: 's390x',
    loong64: 'loongarch64',
  }
  return names[nodeArch]
}

/** LXC keys that lxc-create and its local template set for the imported container. */
const SET_ON_IMPORT = new Set(['lxc.rootfs.path', 'lxc.uts.name'])

/**
 * The `config` (mode system) or `config-user` (mode user, unprivileged) file of the metadata
 * tarball. lxc-create -t local moves the lxc.* lines lxc-create wrote (the host's default.conf,
 * the container's lxc.rootfs.path) below this file's text, then appends `lxc.uts.name` and the
 * host's network lines, and replaces LXC_TEMPLATE_CONFIG with the host's /usr/share/lxc/config.
 * So this is the image's part: Gentoo's common settings as LXC ships them, the architecture, and
 * the action's own config without the keys the import sets (its rootfs path would be the build
 * sandbox's). Comments are kept.
 */
export function lxcImageConfig(
  containerConfig: string,
  architecture: string,
  mode: 'system' | 'user',
): string {
  const own = containerConfig
    .split('\n')
    .filter((line) => {
      const key = /^\s*([^=#\s]+)\s*=/.exec(line)?.[1]
      return !(key && SET_ON_IMPORT.has(key))
    })
    .join('\n')
    .replace(/\n*$/, '\n')
  return [
    '# The image part of the container config, for lxc-create -t local (written by lxcmin)',
    'lxc.include = LXC_TEMPLATE_CONFIG/gentoo.common.conf',
    ...(mode === 'user' ? ['lxc.include = LXC_TEMPLATE_CONFIG/gentoo.userns.conf'] : []),
    `lxc.arch = ${architecture}`,
    '',
    own,
  ].join('\n')
}

export interface LxcMetadata {
  readonly name: string
  readonly architecture: string
  /** The source date epoch: the image's creation date, the same for the same sources. */
  readonly creationDate: number
  readonly description: string
}

/** A YAML scalar: JSON's double-quoted strings are YAML's too. */
const quote = (s: string): string => JSON.stringify(s)

/**
 * `metadata.yaml`, the image metadata of LXD and Incus images (lxc-create -t local itself reads
 * only `config`, `config-user`, `templates`, `excludes` and `create-message`), in key order.
 * `templates` is empty: the image carries no files to fill in on creation.
 */
export function lxcMetadataYaml(meta: LxcMetadata): string {
  return [
    `architecture: ${quote(meta.architecture)}`,
    `creation_date: ${meta.creationDate}`,
    'properties:',
    `  architecture: ${quote(meta.architecture)}`,
    `  description: ${quote(meta.description)}`,
    `  name: ${quote(meta.name)}`,
    `  os: ${quote('gentoo')}`,
    `  release: ${quote('current')}`,
    `  variant: ${quote('lxcmin')}`,
    'templates: {}',
    '',
  ].join('\n')
}

/** `config`, `config-user` and `metadata.yaml`, checked for the build sandbox's rootfs path. */
function lxcMetadataFiles(spec: FormatJob, lxc: ContainerSpec): Record<string, string> {
  const files: Record<string, string> = {
    config: lxcImageConfig(lxc.config, lxc.architecture, 'system'),
    'config-user': lxcImageConfig(lxc.config, lxc.architecture, 'user'),
    'metadata.yaml': lxcMetadataYaml({
      name: spec.name,
      architecture: lxc.architecture,
      creationDate: spec.epoch,
      description: lxc.description ?? `${spec.name} (Gentoo, built with lxcmin)`,
    }),
  }
  for (const [name, text] of Object.entries(files)) {
    if (text.includes(spec.rootfs)) {
      throw new BuildError(
        `The image's LXC ${name} names the build sandbox's rootfs (${spec.rootfs}); remove that path from lxc-config`,
      )
    }
  }
  return files
}

export const lxcFormat = {
  name: 'lxc',
  defaultCompression: 'xz',
  compressionProblem: (compression) =>
    compression === 'xz'
      ? undefined
      : `'${compression}' cannot be imported: format lxc is for lxc-create -t local, which unpacks the rootfs and metadata tarballs with tar -J (xz only); set compression to xz or leave it empty`,
  tools: ['xz'],
  container: true,
  scratch: ['meta'],
  prepare: (job) => {
    if (job.compression !== 'xz')
      throw new BuildError(
        'format lxc needs compression xz (lxc-create -t local unpacks with tar -J)',
      )
    if (!job.container)
      throw new BuildError('format lxc needs the container config (spec.container)')
    const files = lxcMetadataFiles(job, job.container)
    return async (runner) => ({
      image: await archiveRootfs(runner, job, tarballName(job.name, job.compression)),
      metadata: await archiveFiles(
        runner,
        job.tools,
        {
          files,
          dir: path.join(job.workDir, 'meta'),
          epoch: job.epoch,
          compression: 'xz',
          level: LEVELS.xz.default,
        },
        path.join(job.outputDir, metadataTarballName(job.name)),
      ),
    })
  },
} as const satisfies PackFormat<'lxc'>
