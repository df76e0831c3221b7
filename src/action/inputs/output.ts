/**
 * The inputs about what the build hands on: minimize, keep-files, keep-locales, size-budget, the
 * tarball (format, compression, compression-level, source-date-epoch) and its upload (upload,
 * artifact-name, retention-days).
 */
import {
  checkKeepFile,
  checkKeepLocale,
  DEFAULT_MINIMIZE,
  MINIMIZE_LEVELS,
  type MinimizeLevel,
} from '../../minimize/minimize.ts'
import { type PackSettings, parseEpoch, validateCompression } from '../../pack/settings.ts'
import { Input, type InputName } from '../../util/names.ts'
import { parseSize } from '../../util/units.ts'
import { NAME_RE, type Reader, words } from './read.ts'

export interface OutputInputs {
  readonly minimize: MinimizeLevel
  readonly keepFiles: readonly string[]
  readonly keepLocales: readonly string[]
  readonly sizeBudget: number | undefined
  readonly pack: PackSettings
  /** The source-date-epoch input, checked; '' when unset. */
  readonly sourceDateEpoch: string
  readonly upload: boolean
  /** The tarball's file name without extension, which is also its artifact's name. */
  readonly artifactName: string
  readonly retentionDays: number | undefined
}

export function parseOutputInputs(r: Reader, name: string): OutputInputs | undefined {
  const minimize = r.oneOf(Input.minimize, DEFAULT_MINIMIZE, MINIMIZE_LEVELS)
  const keepFiles = r
    .get(Input.keepFiles)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  for (const file of keepFiles) {
    const why = checkKeepFile(file)
    if (why) r.problem(Input.keepFiles, why)
  }
  const keepLocales = words(r.get(Input.keepLocales))
  for (const locale of keepLocales) {
    const why = checkKeepLocale(locale)
    if (why) r.problem(Input.keepLocales, why)
  }
  const sizeBudget = parseBudget(r)
  const packed = validateCompression({
    format: r.get(Input.format),
    compression: r.get(Input.compression),
    level: r.get(Input.compressionLevel),
  })
  for (const p of packed.problems) r.problem(p.input as InputName, p.message)
  const sourceDateEpoch = r.get(Input.sourceDateEpoch)
  if (sourceDateEpoch && parseEpoch(sourceDateEpoch) === undefined) {
    r.problem(
      Input.sourceDateEpoch,
      `'${sourceDateEpoch}' is not a time; write whole seconds since 1970-01-01 UTC, e.g. the output of git log -1 --format=%ct`,
    )
  }
  const upload = r.boolean(Input.upload, 'true')
  const artifactName = r.get(Input.artifactName, name)
  if (r.get(Input.artifactName) && !NAME_RE.test(artifactName)) {
    r.problem(
      Input.artifactName,
      `'${artifactName}' is not a file name for the tarball; use letters, digits, '.', '_' and '-' (at most 63), e.g. bash-nightly`,
    )
  }
  const retentionText = r.get(Input.retentionDays)
  const retentionDays = retentionText ? Number(retentionText) : undefined
  if (
    retentionText &&
    !(/^\d+$/.test(retentionText) && Number(retentionText) >= 1 && Number(retentionText) <= 90)
  ) {
    r.problem(
      Input.retentionDays,
      `'${retentionText}' is not a number of days; write a whole number from 1 to 90, or leave it empty for the repository's default`,
    )
  }
  if (!minimize || !packed.settings || upload === undefined) return undefined
  return {
    minimize,
    keepFiles,
    keepLocales,
    sizeBudget,
    pack: packed.settings,
    sourceDateEpoch,
    upload,
    artifactName,
    retentionDays,
  }
}

/** size-budget: undefined when unset (or wrong, with a problem). */
export function parseBudget(r: Reader): number | undefined {
  const budgetText = r.get(Input.sizeBudget)
  const sizeBudget = budgetText ? parseSize(budgetText) : undefined
  if (budgetText && sizeBudget === undefined) {
    r.problem(
      Input.sizeBudget,
      `'${budgetText}' is not a size; write bytes (123456), binary units (20MiB, or 20M as du -h prints it) or decimal units (20MB)`,
    )
  }
  return sizeBudget
}
