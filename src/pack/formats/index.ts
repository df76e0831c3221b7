/** The output formats, one file each: a new format is one file here plus its input value. */
import { lxcFormat } from './lxc.ts'
import { ociFormat } from './oci.ts'
import { rootfsFormat } from './rootfs.ts'

export const PACK_FORMATS = [rootfsFormat, lxcFormat, ociFormat] as const
