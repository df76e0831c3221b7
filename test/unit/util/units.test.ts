import { describe, expect, it } from 'vitest'
import { formatSize, parseSize } from '../../../src/util/units.ts'

const KiB = 1024
const MiB = 1024 ** 2
const GiB = 1024 ** 3
const TiB = 1024 ** 4

describe('parseSize', () => {
  it.each<[string, number]>([
    ['123456', 123456],
    ['0', 0],
    ['100B', 100],
    ['2K', 2 * KiB],
    ['2KiB', 2 * KiB],
    ['2kB', 2000],
    ['2KB', 2000],
    // M is binary, as du -h prints it; MB is decimal.
    ['20M', 20 * MiB],
    ['20MiB', 20 * MiB],
    ['20mib', 20 * MiB],
    ['20MB', 20_000_000],
    ['20 MB', 20_000_000],
    ['20 MiB', 20 * MiB],
    ['  20MiB  ', 20 * MiB],
    ['1.5GiB', 1.5 * GiB],
    ['1.5G', 1_610_612_736],
    ['1.5GB', 1_500_000_000],
    ['1T', TiB],
    ['1TiB', TiB],
    ['1TB', 1e12],
    ['0.5K', 512],
    // Rounded to whole bytes.
    ['1.0001K', 1024],
    ['0.0001K', 0],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it.each([
    'junk',
    '',
    ' ',
    'M',
    'MiB',
    '20 MiBs',
    '20XB',
    '20PiB',
    '-1',
    '-20MiB',
    '+20MiB',
    '1e6',
    '1,000',
    '.5M',
    '5.M',
    '1.5.2M',
    '20MiB extra',
    '20 M iB',
    '0x10',
    'Infinity',
    // More bytes than a double holds exactly.
    '99999999999T',
  ])('%j is not a size', (text) => {
    expect(parseSize(text)).toBeUndefined()
  })
})

describe('formatSize', () => {
  it.each<[number, string]>([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [10 * KiB, '10.0 KiB'],
    [123.4 * KiB, '123 KiB'],
    [20 * MiB, '20.0 MiB'],
    [Math.round(12.3 * MiB), '12.3 MiB'],
    [1.5 * GiB, '1.50 GiB'],
    [TiB, '1.00 TiB'],
    // No unit above TiB.
    [1024 * TiB, '1024 TiB'],
    [-2048, '-2.00 KiB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
  })

  it('is read back by parseSize to within its three significant digits', () => {
    for (const bytes of [1536, 20 * MiB, Math.round(12.3 * MiB), 1.5 * GiB, 777_777]) {
      const back = parseSize(formatSize(bytes).replace(' ', ''))
      expect(back).toBeDefined()
      expect(Math.abs((back ?? 0) - bytes) / bytes).toBeLessThan(0.005)
    }
  })

  // "three significant digits": a value that rounds up to 1024 of a unit is the next unit.
  it('shows 1048575 bytes (1023.999 KiB) as 1.00 MiB, not 1024 KiB', () => {
    expect(formatSize(1048575)).toBe('1.00 MiB')
  })

  it('shows 102380 bytes (99.98 KiB) with three significant digits, not as 100.0 KiB', () => {
    expect(formatSize(102380)).toBe('100 KiB')
  })
})
