/**
 * What an output format is: one file under src/pack/formats/ implementing PackFormat, listed in
 * formats/index.ts, plus its value of the format input in action.yml. pack() normalizes the
 * rootfs and hands the rest to the format.
 */
import type { Runner } from '../../util/exec.ts'
import type { PackTool, PackTools } from '../../host/tools.ts'
import type { Compression } from '../compression.ts'
import type { Artifact } from '../tar.ts'
import type { OciImage, OciSettings } from '../../oci/image.ts'

/** What the image says about its container, for the formats that carry a configuration. */
export interface ContainerSpec {
  /** The container's LXC config as the action wrote it (lxcConfigText). */
  readonly config: string
  /** The kernel's name for it (lxcArchitecture), e.g. x86_64. */
  readonly architecture: string
  readonly description?: string
  /** Format oci: the image config's and manifest's settings. */
  readonly oci?: OciSettings
}

/** One packing of one rootfs, as the format sees it. */
export interface FormatJob {
  readonly rootfs: string
  /** Where the files are written (exists). */
  readonly outputDir: string
  /** Scratch space of the action's user (exists; what a format makes there is removed after). */
  readonly workDir: string
  /** The container name: the file names start with it. */
  readonly name: string
  readonly compression: Compression
  /** undefined only for `none`. */
  readonly level: number | undefined
  /** The source date epoch: every time in the files is at most this. */
  readonly epoch: number
  readonly tools: PackTools
  readonly container?: ContainerSpec | undefined
}

export interface FormatOutput {
  /** The image: the file the tarball outputs name. */
  readonly image: Artifact
  /** A second file that goes with it (format lxc: the metadata tarball). */
  readonly metadata?: Artifact
  /** Format oci: the image layout and its digests (image is then the layout's archive). */
  readonly oci?: OciImage
}

/** Writes the format's files into job.outputDir, after the rootfs was normalized. */
export type FormatWriter = (runner: Runner) => Promise<FormatOutput>

export interface PackFormat<N extends string = string> {
  /** The format input's value. */
  readonly name: N
  /** The compression when the compression input is empty. */
  readonly defaultCompression: Compression
  /** Why the format cannot take this compression (the compression input's problem), or undefined. */
  compressionProblem(compression: Compression): string | undefined
  /** Commands it runs besides tar, the compressor and normalization's (found by findPackTools). */
  readonly tools: readonly PackTool[]
  /** Whether it carries the container's configuration: pack() is then given spec.container. */
  readonly container: boolean
  /** Directories below workDir it writes, removed after packing. */
  readonly scratch: readonly string[]
  /**
   * Checks everything the format needs before the rootfs, the long part, is packed (throws
   * BuildError), and returns the writer of its files.
   */
  prepare(job: FormatJob): FormatWriter
}
