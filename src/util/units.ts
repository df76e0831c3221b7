/** Sizes as users write them (`20MiB`, `20M`, `20MB`, `123456`) and as the log shows them. */

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  K: 1024,
  KIB: 1024,
  KB: 1000,
  M: 1024 ** 2,
  MIB: 1024 ** 2,
  MB: 1000 ** 2,
  G: 1024 ** 3,
  GIB: 1024 ** 3,
  GB: 1000 ** 3,
  T: 1024 ** 4,
  TIB: 1024 ** 4,
  TB: 1000 ** 4,
}

/**
 * Bytes for a size: a plain number is bytes; `K`/`M`/`G` are binary as `du -h` prints them,
 * `KiB`/`MiB`/`GiB` binary, `kB`/`MB`/`GB` decimal. Returns undefined when it is not a size.
 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim())
  if (!match?.[1]) return undefined
  const unit = UNITS[(match[2] ?? '').toUpperCase()]
  if (unit === undefined) return undefined
  const bytes = Math.round(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** `12.3 MiB`: binary units, three significant digits, as people compare images. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  // 1023.5 and up would print as 1024 of the smaller unit.
  while (Math.abs(value) >= 1023.5 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${bytes} B`
  const size = Math.abs(value)
  const digits = size >= 99.95 ? 0 : size >= 9.995 ? 1 : 2
  return `${value.toFixed(digits)} ${units[unit] ?? ''}`
}
