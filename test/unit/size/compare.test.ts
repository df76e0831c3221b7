import { describe, expect, it } from 'vitest'
import {
  type Baseline,
  compareReports,
  evaluate,
  exceeds,
  type FailOn,
  formatMaxIncrease,
  parseMaxIncrease,
  signedPercent,
  signedSize,
  type Thresholds,
} from '../../../src/size/compare.ts'
import {
  emptyTrimmable,
  type PackageSize,
  SIZE_REPORT_SCHEMA,
  type SizeReport,
} from '../../../src/size/report.ts'

const KiB = 1024
const MiB = 1024 * 1024

function pkg(atom: string, bytes: number, extra: Partial<PackageSize> = {}): PackageSize {
  const m = /^([^/]+)\/(.+)-(\d[^-]*(?:-r\d+)?)$/.exec(atom)
  if (!m?.[1] || !m[2] || !m[3]) throw new Error(`bad atom ${atom}`)
  return {
    category: m[1],
    name: m[2],
    version: m[3],
    slot: '0',
    repository: 'gentoo',
    use: [],
    bytes,
    files: 1,
    trimmable: emptyTrimmable(),
    ...extra,
  }
}

function report(packages: PackageSize[], unowned = 0, extra: Partial<SizeReport> = {}): SizeReport {
  return {
    schema: SIZE_REPORT_SCHEMA,
    name: 'box',
    profile: 'default/linux/amd64/23.0/no-multilib',
    commit: null,
    ref: null,
    configHash: null,
    totalBytes: packages.reduce((s, p) => s + p.bytes, 0) + unowned,
    packages,
    unowned: { bytes: unowned, files: 1, trimmable: emptyTrimmable(), largest: [] },
    trimmable: emptyTrimmable(),
    ...extra,
  }
}

const baseline = (r: SizeReport): Baseline => ({ report: r, label: 'main@abc1234', source: 'test' })

const GLIBC = pkg('sys-libs/glibc-2.36', 27 * MiB, { slot: '2.2', use: ['nls'] })
const BASE = pkg('sys-apps/baselayout-2.17', 200 * KiB)
const BASH = pkg('app-shells/bash-5.2_p15', 1500 * KiB)
const HELLO = pkg('app-misc/lxcmin-hello-1.0', 14 * KiB)
const EXTRA = pkg('app-misc/lxcmin-extra-1.0', MiB + 4 * KiB)

describe('compareReports', () => {
  it('names added, removed, changed and unchanged packages, and the hidden rest adds up', () => {
    const before = report([GLIBC, BASE, BASH, HELLO], 200 * KiB)
    const after = report(
      [
        { ...GLIBC, bytes: GLIBC.bytes + 100 }, // below min-change: unchanged
        BASE,
        { ...HELLO, use: ['extra'], bytes: HELLO.bytes + 16 },
        EXTRA,
      ],
      210 * KiB,
    )
    const c = compareReports(after, before, KiB)
    expect(c.added.map((p) => p.name)).toEqual(['lxcmin-extra'])
    expect(c.removed.map((p) => p.name)).toEqual(['bash'])
    expect(c.changed.map((x) => [x.after.name, x.delta, x.reasons])).toEqual([
      ['lxcmin-hello', 16, ['use']],
    ])
    expect(c.unchanged.map((p) => p.name)).toEqual(['glibc', 'baselayout'])
    expect(c.unowned).toEqual({ before: 200 * KiB, after: 210 * KiB, delta: 10 * KiB })
    expect(c.totalDelta).toBe(after.totalBytes - before.totalBytes)
    expect(c.hiddenDelta).toBe(100)
    const listed =
      c.added.reduce((s, p) => s + p.bytes, 0) -
      c.removed.reduce((s, p) => s + p.bytes, 0) +
      c.changed.reduce((s, x) => s + x.delta, 0) +
      c.unowned.delta
    expect(listed + c.hiddenDelta).toBe(c.totalDelta)
    expect(c.totalPercent).toBeCloseTo((c.totalDelta / before.totalBytes) * 100, 10)
  })

  it('pairs a version bump as a change, and a slot move too', () => {
    const before = report([BASH, pkg('dev-lang/python-3.11.9', 30 * MiB, { slot: '3.11' })])
    const after = report([
      pkg('app-shells/bash-5.2_p26', BASH.bytes),
      pkg('dev-lang/python-3.12.4', 31 * MiB, { slot: '3.12' }),
    ])
    const c = compareReports(after, before, KiB)
    expect(c.added).toEqual([])
    expect(c.removed).toEqual([])
    expect(
      c.changed.map((x) => [x.after.name, x.before.version, x.after.version, x.reasons]),
    ).toEqual([
      ['python', '3.11.9', '3.12.4', ['version', 'slot', 'size']],
      ['bash', '5.2_p15', '5.2_p26', ['version']],
    ])
  })

  it('keeps two slots of a package apart, and adds a third as new', () => {
    const p11 = pkg('dev-lang/python-3.11.9', 30 * MiB, { slot: '3.11' })
    const p12 = pkg('dev-lang/python-3.12.4', 31 * MiB, { slot: '3.12' })
    const p13 = pkg('dev-lang/python-3.13.0', 32 * MiB, { slot: '3.13' })
    const c = compareReports(report([p12, p11, p13]), report([p11, p12]), KiB)
    expect(c.added.map((p) => p.slot)).toEqual(['3.13'])
    expect(c.changed).toEqual([])
    expect(c.unchanged.map((p) => p.slot)).toEqual(['3.12', '3.11'])
  })

  it('against an empty baseline, everything is added and there is no percentage', () => {
    const c = compareReports(report([BASE, GLIBC], 4096), report([], 0))
    expect(c.added.map((p) => p.name)).toEqual(['glibc', 'baselayout'])
    expect(c.totalPercent).toBeUndefined()
    expect(c.totalDelta).toBe(GLIBC.bytes + BASE.bytes + 4096)
  })

  it('a repository change is a change; equal reports have none', () => {
    const moved = { ...HELLO, repository: 'overlay' }
    expect(compareReports(report([moved]), report([HELLO])).changed[0]?.reasons).toEqual([
      'repository',
    ])
    const same = compareReports(report([HELLO, BASE], 5), report([HELLO, BASE], 5))
    expect([same.added, same.removed, same.changed, same.totalDelta, same.hiddenDelta]).toEqual([
      [],
      [],
      [],
      0,
      0,
    ])
  })
})

describe('max-increase', () => {
  it.each([
    ['2MiB', { bytes: 2 * MiB, percent: undefined }],
    ['5%', { bytes: undefined, percent: 5 }],
    ['2MiB 5%', { bytes: 2 * MiB, percent: 5 }],
    ['5% 2MiB', { bytes: 2 * MiB, percent: 5 }],
    ['2 MiB, 2.5%', { bytes: 2 * MiB, percent: 2.5 }],
    ['0', { bytes: 0, percent: undefined }],
    ['512K', { bytes: 512 * KiB, percent: undefined }],
  ])('parses %j', (text, limit) => {
    expect(parseMaxIncrease(text)).toEqual(limit)
  })

  it.each([
    ['', /is empty/],
    [
      'lots',
      /'lots' is neither a size nor a percentage; write a size \(2MiB\), a percentage \(5%\) or both/,
    ],
    ['5% 6%', /gives two percentages/],
    ['1MiB 2MiB', /gives two sizes/],
    ['-5%', /neither a size nor a percentage/],
  ])('refuses %j', (text, message) => {
    expect(parseMaxIncrease(text)).toMatch(message)
  })

  // delta, percent, limit, exceeded: only when every given limit is exceeded.
  it.each([
    [3 * MiB, 10, { bytes: 2 * MiB, percent: 5 }, true],
    [3 * MiB, 4, { bytes: 2 * MiB, percent: 5 }, false],
    [MiB, 10, { bytes: 2 * MiB, percent: 5 }, false],
    [2 * MiB, 10, { bytes: 2 * MiB, percent: 5 }, false],
    [2 * MiB + 1, 10, { bytes: 2 * MiB, percent: 5 }, true],
    [3 * MiB, undefined, { bytes: 2 * MiB, percent: 5 }, true],
    [1, 0.001, { bytes: 0, percent: undefined }, true],
    [0, 0, { bytes: 0, percent: undefined }, false],
    [-MiB, -3, { bytes: 0, percent: 0 }, false],
    [MiB, 6, { bytes: undefined, percent: 5 }, true],
    [MiB, 5, { bytes: undefined, percent: 5 }, false],
    [MiB, 6, { bytes: undefined, percent: undefined }, false],
  ])('an increase of %i bytes (%s%%) against %j exceeds: %s', (delta, percent, limit, result) => {
    expect(exceeds(delta, percent, limit)).toBe(result)
  })

  it.each([
    [{ bytes: 2 * MiB, percent: 5 }, '2.00 MiB and 5%'],
    [{ bytes: undefined, percent: 2.5 }, '2.5%'],
    [{ bytes: 512, percent: undefined }, '512 B'],
  ])('formats %j as %s', (limit, text) => {
    expect(formatMaxIncrease(limit)).toBe(text)
  })
})

describe('signed numbers', () => {
  it.each([
    [MiB, '+1.00 MiB'],
    [-512, '-512 B'],
    [0, '±0 B'],
    [1536, '+1.50 KiB'],
  ])('signedSize(%i) is %s', (bytes, text) => {
    expect(signedSize(bytes)).toBe(text)
  })

  it.each([
    [3.21, '+3.2%'],
    [-0.04, '-0.04%'],
    [0, '±0%'],
    [100, '+100.0%'],
  ])('signedPercent(%d) is %s', (percent, text) => {
    expect(signedPercent(percent)).toBe(text)
  })
})

describe('evaluate', () => {
  const before = report([GLIBC, BASE, HELLO], 100 * KiB)
  const after = report([GLIBC, BASE, { ...HELLO, use: ['extra'] }, EXTRA], 100 * KiB)
  const thresholds = (t: Partial<Thresholds>): Thresholds => ({
    budget: undefined,
    maxIncrease: undefined,
    minChange: KiB,
    failOn: 'both',
    ...t,
  })

  it('fails an increase over every limit, naming the baseline and what grew', () => {
    const e = evaluate(
      after,
      baseline(before),
      thresholds({ maxIncrease: { bytes: 512 * KiB, percent: 1 } }),
    )
    expect(e.failures).toEqual([
      `The rootfs grew by 1.00 MiB (${EXTRA.bytes} bytes, +3.7%) against main@abc1234, more than max-increase 512 KiB and 1%: added app-misc/lxcmin-extra-1.0 (+1.00 MiB)`,
    ])
    expect(e.checks).toEqual([
      { kind: 'increase', limit: '512 KiB and 1%', actual: '+1.00 MiB (+3.7%)', status: 'fail' },
    ])
  })

  it('fails over the budget with the message the action always gave', () => {
    const e = evaluate(after, undefined, thresholds({ budget: 20 * MiB }))
    expect(e.failures).toEqual([
      `The rootfs is 28.3 MiB (${after.totalBytes} bytes), over the budget of 20.0 MiB (20971520 bytes). ` +
        'Largest packages: sys-libs/glibc-2.36 27.0 MiB, app-misc/lxcmin-extra-1.0 1.00 MiB, sys-apps/baselayout-2.17 200 KiB, app-misc/lxcmin-hello-1.0 14.0 KiB',
    ])
    expect(e.comparison).toBeUndefined()
  })

  it('skips the increase check without a baseline, and passes what fits', () => {
    const e = evaluate(
      after,
      undefined,
      thresholds({ budget: 64 * MiB, maxIncrease: { bytes: 0, percent: undefined } }),
    )
    expect(e.failures).toEqual([])
    expect(e.checks.map((k) => [k.kind, k.status, k.actual])).toEqual([
      ['budget', 'pass', '28.3 MiB'],
      ['increase', 'skipped', 'no baseline'],
    ])
  })

  // fail-on, over budget, over max-increase -> failing checks, warning checks
  it.each([
    ['both', true, true, ['budget', 'increase'], []],
    ['budget', true, true, ['budget'], ['increase']],
    ['increase', true, true, ['increase'], ['budget']],
    ['never', true, true, [], ['budget', 'increase']],
    ['both', false, true, ['increase'], []],
    ['budget', false, true, [], ['increase']],
    ['increase', true, false, [], ['budget']],
    ['both', false, false, [], []],
  ] as const)(
    'fail-on %s, over budget %s, over max-increase %s: fails %j, warns %j',
    (failOn: FailOn, overBudget, overIncrease, failing, warning) => {
      const e = evaluate(
        after,
        baseline(before),
        thresholds({
          failOn,
          budget: overBudget ? 20 * MiB : 64 * MiB,
          maxIncrease: { bytes: overIncrease ? 512 * KiB : 2 * MiB, percent: undefined },
        }),
      )
      expect(e.checks.filter((k) => k.status === 'fail').map((k) => k.kind)).toEqual(failing)
      expect(e.checks.filter((k) => k.status === 'warn').map((k) => k.kind)).toEqual(warning)
      expect(e.failures).toHaveLength(failing.length)
      expect(e.warnings).toHaveLength(warning.length)
      for (const w of e.warnings)
        expect(w).toMatch(new RegExp(`\\(not failing: fail-on is ${failOn}\\)$`))
    },
  )

  it('an increase from an empty baseline exceeds any percentage', () => {
    const e = evaluate(
      after,
      baseline(report([], 0)),
      thresholds({ maxIncrease: { bytes: undefined, percent: 50 } }),
    )
    expect(e.checks[0]).toMatchObject({ status: 'fail', actual: '+28.3 MiB' })
    expect(e.failures[0]).toMatch(
      /^The rootfs grew by 28\.3 MiB \(\d+ bytes\) against main@abc1234/,
    )
  })

  it('a shrinking image passes any max-increase', () => {
    const e = evaluate(
      before,
      baseline(after),
      thresholds({ maxIncrease: { bytes: 0, percent: 0 } }),
    )
    expect(e.checks[0]).toMatchObject({ status: 'pass', actual: '-1.00 MiB (-3.5%)' })
  })
})
