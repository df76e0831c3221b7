import { describe, expect, it } from 'vitest'
import {
  allOf,
  licenseRef,
  licenseRefs,
  parseLicenseMapping,
  render,
  spdxLicense,
} from '../../../src/sbom/licenses.ts'
import { parseDependTree } from '../../../src/sbom/syntax.ts'
import { MAPPING } from './fixture.ts'

const mapping = parseLicenseMapping(MAPPING)
const spdx = (license: string, use: string[] = []): string | undefined => {
  const expr = spdxLicense(license, new Set(use), mapping)
  return expr && render(expr)
}

describe('parseLicenseMapping', () => {
  it('reads [spdx-to-ebuild] backwards, preferring the current ids over deprecated ones', () => {
    expect(mapping.get('GPL-2')).toBe('GPL-2.0-only')
    expect(mapping.get('GPL-3+')).toBe('GPL-3.0-or-later')
    expect(mapping.get('LGPL-2.1+')).toBe('LGPL-2.1-or-later')
    expect(mapping.get('BSD')).toBe('BSD-3-Clause')
    expect(mapping.get('GPL-2+-with-classpath-exception')).toBe(
      'GPL-2.0-or-later WITH Classpath-exception-2.0',
    )
  })

  it('prefers the current id whichever comes first', () => {
    const m = parseLicenseMapping('[spdx-to-ebuild]\nGPL-2.0-only = GPL-2\nGPL-2.0 = GPL-2\n')
    expect(m.get('GPL-2')).toBe('GPL-2.0-only')
    const plus = parseLicenseMapping(
      '[spdx-to-ebuild]\nLGPL-2.0+ = LGPL-2+\nLGPL-2.0-or-later = LGPL-2+\n',
    )
    expect(plus.get('LGPL-2+')).toBe('LGPL-2.0-or-later')
  })

  it('reverses only single-licence values, and only that section', () => {
    expect(mapping.has('MIT-ISC')).toBe(false)
    // `Apache-2.0 = Apache-2.0 MIT` names two licences; the other section's line is not read.
    expect(mapping.has('Apache-2.0')).toBe(false)
    expect(mapping.get('MIT')).toBe('MIT')
  })
})

describe('spdxLicense', () => {
  it.each([
    ['GPL-2', 'GPL-2.0-only'],
    ['LGPL-2.1+ BSD HPND ISC', 'LGPL-2.1-or-later AND BSD-3-Clause AND HPND AND ISC'],
    ['|| ( MIT BSD )', 'MIT OR BSD-3-Clause'],
    ['GPL-2 || ( MIT BSD )', 'GPL-2.0-only AND (MIT OR BSD-3-Clause)'],
    ['|| ( ( MIT ISC ) BSD )', '(MIT AND ISC) OR BSD-3-Clause'],
    ['|| ( MIT || ( BSD ISC ) )', 'MIT OR BSD-3-Clause OR ISC'],
    ['( MIT ( ISC ) )', 'MIT AND ISC'],
    ['MIT MIT || ( MIT )', 'MIT'],
    [
      'GPL-2+-with-classpath-exception MIT',
      'GPL-2.0-or-later WITH Classpath-exception-2.0 AND MIT',
    ],
    ['inner-net', 'LicenseRef-Gentoo-inner-net'],
    [
      'GPL-2+ || ( A_b c@d )',
      'LicenseRef-Gentoo-GPL-2-plus AND (LicenseRef-Gentoo-A-b OR LicenseRef-Gentoo-c-d)',
    ],
  ])('%s -> %s', (license, expected) => {
    expect(spdx(license)).toBe(expected)
  })

  it('decides USE-conditionals by the enabled flags', () => {
    expect(spdx('MIT doc? ( GPL-2 )')).toBe('MIT')
    expect(spdx('MIT doc? ( GPL-2 )', ['doc'])).toBe('MIT AND GPL-2.0-only')
    expect(spdx('MIT !doc? ( ISC )')).toBe('MIT AND ISC')
    expect(spdx('MIT !doc? ( ISC )', ['doc'])).toBe('MIT')
    expect(spdx('|| ( MIT ssl? ( ISC BSD ) )', ['ssl'])).toBe('MIT OR (ISC AND BSD-3-Clause)')
  })

  it('names no licence for an empty value', () => {
    expect(spdx('')).toBeUndefined()
    expect(spdx('doc? ( MIT )')).toBeUndefined()
    expect(spdx('|| ( )')).toBeUndefined()
  })

  it('refuses unbalanced parentheses', () => {
    expect(() => parseDependTree('|| ( MIT')).toThrow(/unbalanced/)
    expect(() => parseDependTree('MIT )')).toThrow(/unbalanced/)
    expect(() => parseDependTree('doc? MIT')).toThrow(/without '\('/)
  })

  it('lists the LicenseRefs an expression uses', () => {
    expect(licenseRefs(spdxLicense('inner-net || ( foo MIT )', new Set(), mapping))).toEqual([
      'LicenseRef-Gentoo-foo',
      'LicenseRef-Gentoo-inner-net',
    ])
    expect(licenseRef('x+y/z')).toBe('LicenseRef-Gentoo-x-plusy-z')
  })
})

describe('allOf', () => {
  it('is the AND of the distinct terms, sorted, OR terms bracketed', () => {
    const exprs = ['MIT', 'GPL-2 MIT', '|| ( BSD ISC )', '', 'ISC || ( BSD ISC )'].map((l) =>
      spdxLicense(l, new Set(), mapping),
    )
    const all = allOf(exprs)
    expect(all && render(all)).toBe('(BSD-3-Clause OR ISC) AND GPL-2.0-only AND ISC AND MIT')
    expect(allOf([undefined])).toBeUndefined()
    const one = allOf([spdxLicense('|| ( MIT ISC )', new Set(), mapping)])
    expect(one && render(one)).toBe('MIT OR ISC')
  })
})
