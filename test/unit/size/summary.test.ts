/**
 * The size section and the pull request comment as text. Inline snapshots: prettier would realign
 * the markdown tables of a .md snapshot file.
 */
import { describe, expect, it } from 'vitest'
import { type Baseline, evaluate, type Thresholds } from '../../../src/size/compare.ts'
import {
  emptyTrimmable,
  type PackageSize,
  SIZE_REPORT_SCHEMA,
  type SizeReport,
} from '../../../src/size/report.ts'
import type { FsEntry } from '../../../src/size/scan.ts'
import { reportFromData } from '../../../src/size/attribute.ts'
import type { VdbRecord } from '../../../src/portage/vdb.ts'
import {
  cell,
  commentMarker,
  COMMENT_LIMITS,
  sizeCommentMarkdown,
  sizeSummaryMarkdown,
  type SizeSummaryInput,
} from '../../../src/size/summary.ts'

const KiB = 1024
const MiB = 1024 * 1024

interface Pkg {
  atom: string
  slot?: string
  use?: string[]
  /** path, bytes, and an inode shared by hard links (default: one of its own). */
  files: [string, number, string?][]
}

/** A report built the way the action builds it, from entries and vdb records. */
function build(
  packages: Pkg[],
  unowned: [string, number][],
  extra: { commit?: string; ref?: string } = {},
): SizeReport {
  const entries: FsEntry[] = [{ path: '/', kind: 'dir', bytes: 4096, inode: 'root' }]
  const records: VdbRecord[] = packages.map((p, i) => {
    const m = /^([^/]+)\/(.+)-(\d[^-]*(?:-r\d+)?)$/.exec(p.atom)
    for (const [path, bytes, inode] of p.files) {
      entries.push({ path, kind: 'file', bytes, inode: inode ?? path })
    }
    return {
      category: m?.[1] ?? '',
      name: m?.[2] ?? '',
      version: m?.[3] ?? '',
      slot: p.slot ?? '0',
      repository: 'lxcmin-gentoo',
      use: p.use ?? [],
      counter: i + 1,
      contents: p.files.map(([path]) => ({ type: 'obj' as const, path })),
    }
  })
  for (const [path, bytes] of unowned) entries.push({ path, kind: 'file', bytes, inode: path })
  // The directories on the way, as a walk finds them (no package lists them: unowned).
  const dirs = new Set(
    entries.flatMap((e) =>
      e.path
        .split('/')
        .slice(1, -1)
        .map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`),
    ),
  )
  for (const path of dirs) entries.push({ path, kind: 'dir', bytes: 4096, inode: path })
  return reportFromData(entries, records, {
    name: 'hello',
    profile: 'default/linux/amd64/23.0/no-multilib',
    commit: extra.commit ?? '1234567890abcdef1234567890abcdef12345678',
    ref: extra.ref ?? 'feature',
    configHash: 'fedcba9876543210',
  })
}

const GLIBC: Pkg = {
  atom: 'sys-libs/glibc-2.36',
  slot: '2.2',
  use: ['nls'],
  files: [
    ['/lib64/libc.so.6', 2 * MiB],
    ['/usr/lib64/libc.a', 5 * MiB],
    ['/usr/include/stdio.h', 30 * KiB],
    ['/usr/share/locale/de/LC_MESSAGES/libc.mo', 120 * KiB],
  ],
}
const BASE: Pkg = { atom: 'sys-apps/baselayout-2.17', files: [['/etc/os-release', 400]] }
const BASH: Pkg = {
  atom: 'app-shells/bash-5.2_p15',
  files: [
    ['/bin/bash', 1200 * KiB],
    ['/usr/share/man/man1/bash.1', 300 * KiB],
    ['/usr/share/doc/bash-5.2_p15/NEWS', 80 * KiB],
  ],
}
const READLINE = (version: string, bytes: number): Pkg => ({
  atom: `sys-libs/readline-${version}`,
  files: [['/usr/lib64/libreadline.so.8', bytes]],
})
const HELLO = (use: string[], bytes: number): Pkg => ({
  atom: 'app-misc/lxcmin-hello-1.0',
  use,
  // Two names of one file: counted once.
  files: [
    ['/usr/bin/lxcmin-hello', bytes, 'hello-inode'],
    ['/usr/bin/hello', bytes, 'hello-inode'],
  ],
})
const EXTRA: Pkg = {
  atom: 'app-misc/lxcmin-extra-1.0',
  files: [['/usr/share/lxcmin-extra/payload.bin', MiB]],
}

const THRESHOLDS: Thresholds = {
  budget: 64 * MiB,
  maxIncrease: { bytes: 512 * KiB, percent: 5 },
  minChange: KiB,
  failOn: 'both',
}

function input(
  report: SizeReport,
  baseline: Baseline | undefined,
  thresholds = THRESHOLDS,
  note?: string,
): SizeSummaryInput {
  return {
    report,
    baseline,
    baselineNote: note,
    evaluation: evaluate(report, baseline, thresholds),
    thresholds,
  }
}

const before = build(
  [GLIBC, BASE, READLINE('8.2_p1', 300 * KiB), BASH, HELLO([], 14 * KiB)],
  [['/etc/ld.so.cache', 1475]],
  { commit: 'abc1234000000000000000000000000000000000', ref: 'main' },
)
const after = build(
  [GLIBC, BASE, READLINE('8.2_p10', 310 * KiB), HELLO(['extra'], 14 * KiB + 100), EXTRA],
  [
    ['/etc/ld.so.cache', 1475],
    ['/etc/profile.env', 3 * KiB],
  ],
)
const vsMain: Baseline = {
  report: before,
  label: 'main@abc1234',
  source: 'https://github.com/o/r/actions/runs/1',
}

describe('sizeSummaryMarkdown', () => {
  it('the fixtures count a hard-linked file once', () => {
    const hello = after.packages.find((p) => p.name === 'lxcmin-hello')
    expect(hello?.bytes).toBe(14 * KiB + 100)
    expect(hello?.files).toBe(1)
  })

  it('against a baseline: an added package, a removed one, a version bump, a USE change', () => {
    expect(sizeSummaryMarkdown(input(after, vsMain))).toMatchInlineSnapshot(`
      "### lxcmin size: hello

      **8.51 MiB** (-559 KiB, -6.0%) vs \`main@abc1234\` · budget 64.0 MiB ✅

      | Check | Limit | Actual | Result |
      | --- | ---: | ---: | --- |
      | Budget (size-budget) | 64.0 MiB | 8.51 MiB | ✅ pass |
      | Increase (max-increase) | 512 KiB and 5% | -559 KiB (-6.0%) | ✅ pass |

      **Added (1, +1.00 MiB)**

      | Package | Version | USE | Size |
      | --- | --- | --- | ---: |
      | app-misc/lxcmin-extra | 1.0 |  | 1.00 MiB |

      **Removed (1, -1.54 MiB)**

      | Package | Version | Size |
      | --- | --- | ---: |
      | app-shells/bash | 5.2_p15 | 1.54 MiB |

      **Changed (3, -2.90 KiB)**

      | Package | Version | Before | After | Change |
      | --- | --- | ---: | ---: | ---: |
      | (unowned) | files no package owns | 65.4 KiB | 52.4 KiB | -13.0 KiB |
      | sys-libs/readline | 8.2_p1 → 8.2_p10 | 300 KiB | 310 KiB | +10.0 KiB |
      | app-misc/lxcmin-hello | 1.0, USE +extra | 14.0 KiB | 14.1 KiB | +100 B |

      <details><summary>Largest unchanged (2 of 2)</summary>

      | Package | Version | Size |
      | --- | --- | ---: |
      | sys-libs/glibc:2.2 | 2.36 | 7.15 MiB |
      | sys-apps/baselayout | 2.17 | 400 B |

      </details>

      <details><summary>Could still be trimmed: 5.16 MiB</summary>

      | Kind | Size | Largest contributors |
      | --- | ---: | --- |
      | Static libraries (.a, .la) | 5.00 MiB | sys-libs/glibc:2.2 5.00 MiB |
      | Locales and message catalogs | 132 KiB | sys-libs/glibc:2.2 120 KiB, (unowned) 12.0 KiB |
      | Headers (/usr/include) | 34.0 KiB | sys-libs/glibc:2.2 30.0 KiB, (unowned) 4.00 KiB |

      </details>

      <sub>5 packages · unowned 52.4 KiB · profile \`default/linux/amd64/23.0/no-multilib\` · \`1234567\`</sub>
      "
    `)
  })

  it('against an empty baseline: everything is added', () => {
    const empty: SizeReport = {
      schema: SIZE_REPORT_SCHEMA,
      name: 'hello',
      profile: 'p',
      commit: null,
      ref: null,
      configHash: null,
      totalBytes: 0,
      packages: [],
      unowned: { bytes: 0, files: 0, trimmable: emptyTrimmable(), largest: [] },
      trimmable: emptyTrimmable(),
    }
    const text = sizeSummaryMarkdown(
      input(before, { report: empty, label: 'empty.json', source: 'empty.json' }),
    )
    expect(text).toMatchInlineSnapshot(`
      "### lxcmin size: hello

      **9.06 MiB** (+9.06 MiB) vs \`empty.json\` · budget 64.0 MiB ❌

      | Check | Limit | Actual | Result |
      | --- | ---: | ---: | --- |
      | Budget (size-budget) | 64.0 MiB | 9.06 MiB | ✅ pass |
      | Increase (max-increase) | 512 KiB and 5% | +9.06 MiB | ❌ fail |

      **Added (5, +9.00 MiB)**

      | Package | Version | USE | Size |
      | --- | --- | --- | ---: |
      | sys-libs/glibc:2.2 | 2.36 | nls | 7.15 MiB |
      | app-shells/bash | 5.2_p15 |  | 1.54 MiB |
      | sys-libs/readline | 8.2_p1 |  | 300 KiB |
      | app-misc/lxcmin-hello | 1.0 |  | 14.0 KiB |
      | sys-apps/baselayout | 2.17 |  | 400 B |

      **Changed (1, +65.4 KiB)**

      | Package | Version | Before | After | Change |
      | --- | --- | ---: | ---: | ---: |
      | (unowned) | files no package owns | 0 B | 65.4 KiB | +65.4 KiB |

      <details><summary>Could still be trimmed: 5.55 MiB</summary>

      | Kind | Size | Largest contributors |
      | --- | ---: | --- |
      | Static libraries (.a, .la) | 5.00 MiB | sys-libs/glibc:2.2 5.00 MiB |
      | Man pages | 308 KiB | app-shells/bash 300 KiB, (unowned) 8.00 KiB |
      | Locales and message catalogs | 132 KiB | sys-libs/glibc:2.2 120 KiB, (unowned) 12.0 KiB |
      | Documentation (/usr/share/doc) | 88.0 KiB | app-shells/bash 80.0 KiB, (unowned) 8.00 KiB |
      | Headers (/usr/include) | 34.0 KiB | sys-libs/glibc:2.2 30.0 KiB, (unowned) 4.00 KiB |

      </details>

      <sub>5 packages · unowned 65.4 KiB · profile \`default/linux/amd64/23.0/no-multilib\` · \`abc1234\`</sub>
      "
    `)
  })

  it('without a baseline: why, the budget and the largest packages', () => {
    const text = sizeSummaryMarkdown(
      input(
        after,
        undefined,
        { ...THRESHOLDS, budget: 8 * MiB, failOn: 'increase' },
        'no successful run of ci.yml on main yet',
      ),
    )
    expect(text).toMatchInlineSnapshot(`
      "### lxcmin size: hello

      **8.51 MiB** · no baseline (no successful run of ci.yml on main yet) · budget 8.00 MiB ⚠️

      | Check | Limit | Actual | Result |
      | --- | ---: | ---: | --- |
      | Budget (size-budget) | 8.00 MiB | 8.51 MiB | ⚠️ over (not enforced) |
      | Increase (max-increase) | 512 KiB and 5% | no baseline | ➖ skipped |

      <details open><summary>Largest packages (6 of 6)</summary>

      | Package | Version | Size |
      | --- | --- | ---: |
      | sys-libs/glibc:2.2 | 2.36 | 7.15 MiB |
      | app-misc/lxcmin-extra | 1.0 | 1.00 MiB |
      | sys-libs/readline | 8.2_p10 | 310 KiB |
      | (unowned) |  | 52.4 KiB |
      | app-misc/lxcmin-hello | 1.0 | 14.1 KiB |
      | sys-apps/baselayout | 2.17 | 400 B |

      </details>

      <details><summary>Could still be trimmed: 5.16 MiB</summary>

      | Kind | Size | Largest contributors |
      | --- | ---: | --- |
      | Static libraries (.a, .la) | 5.00 MiB | sys-libs/glibc:2.2 5.00 MiB |
      | Locales and message catalogs | 132 KiB | sys-libs/glibc:2.2 120 KiB, (unowned) 12.0 KiB |
      | Headers (/usr/include) | 34.0 KiB | sys-libs/glibc:2.2 30.0 KiB, (unowned) 4.00 KiB |

      </details>

      <sub>5 packages · unowned 52.4 KiB · profile \`default/linux/amd64/23.0/no-multilib\` · \`1234567\`</sub>
      "
    `)
  })

  it('when nothing changed', () => {
    const text = sizeSummaryMarkdown(
      input(before, vsMain, { ...THRESHOLDS, budget: undefined, maxIncrease: undefined }),
    )
    expect(text).toMatchInlineSnapshot(`
      "### lxcmin size: hello

      **9.06 MiB** (±0 B, ±0%) vs \`main@abc1234\`

      No package was added, removed or changed.

      <details><summary>Largest unchanged (6 of 6)</summary>

      | Package | Version | Size |
      | --- | --- | ---: |
      | sys-libs/glibc:2.2 | 2.36 | 7.15 MiB |
      | app-shells/bash | 5.2_p15 | 1.54 MiB |
      | sys-libs/readline | 8.2_p1 | 300 KiB |
      | (unowned) |  | 65.4 KiB |
      | app-misc/lxcmin-hello | 1.0 | 14.0 KiB |
      | sys-apps/baselayout | 2.17 | 400 B |

      </details>

      <details><summary>Could still be trimmed: 5.55 MiB</summary>

      | Kind | Size | Largest contributors |
      | --- | ---: | --- |
      | Static libraries (.a, .la) | 5.00 MiB | sys-libs/glibc:2.2 5.00 MiB |
      | Man pages | 308 KiB | app-shells/bash 300 KiB, (unowned) 8.00 KiB |
      | Locales and message catalogs | 132 KiB | sys-libs/glibc:2.2 120 KiB, (unowned) 12.0 KiB |
      | Documentation (/usr/share/doc) | 88.0 KiB | app-shells/bash 80.0 KiB, (unowned) 8.00 KiB |
      | Headers (/usr/include) | 34.0 KiB | sys-libs/glibc:2.2 30.0 KiB, (unowned) 4.00 KiB |

      </details>

      <sub>5 packages · unowned 65.4 KiB · profile \`default/linux/amd64/23.0/no-multilib\` · \`abc1234\`</sub>
      "
    `)
  })

  it('escapes what could break a table', () => {
    expect(cell('a|b <i>&\nc')).toBe('a&#124;b &lt;i&gt;&amp; c')
  })
})

describe('the pull request comment', () => {
  it('starts with the hidden marker of the container and links the run', () => {
    const text = sizeCommentMarkdown(input(after, vsMain), 'https://github.com/o/r/actions/runs/99')
    expect(text.split('\n')[0]).toBe('<!-- lxcmin:hello -->')
    expect(commentMarker('hello')).toBe('<!-- lxcmin:hello -->')
    expect(text).toMatchInlineSnapshot(`
      "<!-- lxcmin:hello -->
      ### lxcmin size: hello

      **8.51 MiB** (-559 KiB, -6.0%) vs \`main@abc1234\` · budget 64.0 MiB ✅

      | Check | Limit | Actual | Result |
      | --- | ---: | ---: | --- |
      | Budget (size-budget) | 64.0 MiB | 8.51 MiB | ✅ pass |
      | Increase (max-increase) | 512 KiB and 5% | -559 KiB (-6.0%) | ✅ pass |

      **Added (1, +1.00 MiB)**

      | Package | Version | USE | Size |
      | --- | --- | --- | ---: |
      | app-misc/lxcmin-extra | 1.0 |  | 1.00 MiB |

      **Removed (1, -1.54 MiB)**

      | Package | Version | Size |
      | --- | --- | ---: |
      | app-shells/bash | 5.2_p15 | 1.54 MiB |

      **Changed (3, -2.90 KiB)**

      | Package | Version | Before | After | Change |
      | --- | --- | ---: | ---: | ---: |
      | (unowned) | files no package owns | 65.4 KiB | 52.4 KiB | -13.0 KiB |
      | sys-libs/readline | 8.2_p1 → 8.2_p10 | 300 KiB | 310 KiB | +10.0 KiB |
      | app-misc/lxcmin-hello | 1.0, USE +extra | 14.0 KiB | 14.1 KiB | +100 B |

      <details><summary>Largest unchanged (2 of 2)</summary>

      | Package | Version | Size |
      | --- | --- | ---: |
      | sys-libs/glibc:2.2 | 2.36 | 7.15 MiB |
      | sys-apps/baselayout | 2.17 | 400 B |

      </details>

      <details><summary>Could still be trimmed: 5.16 MiB</summary>

      | Kind | Size | Largest contributors |
      | --- | ---: | --- |
      | Static libraries (.a, .la) | 5.00 MiB | sys-libs/glibc:2.2 5.00 MiB |
      | Locales and message catalogs | 132 KiB | sys-libs/glibc:2.2 120 KiB, (unowned) 12.0 KiB |
      | Headers (/usr/include) | 34.0 KiB | sys-libs/glibc:2.2 30.0 KiB, (unowned) 4.00 KiB |

      </details>

      <sub>5 packages · unowned 52.4 KiB · profile \`default/linux/amd64/23.0/no-multilib\` · \`1234567\`</sub>

      <sub>[Workflow run](https://github.com/o/r/actions/runs/99) · updated on every push</sub>
      "
    `)
  })
})

describe('size limits', () => {
  // 5000 packages with long names, half of them new, a quarter changed.
  const many = (n: number, offset: number, grow: number): PackageSize[] =>
    Array.from({ length: n }, (_, i) => ({
      category: `dev-${'x'.repeat(20)}-${i % 50}`,
      name: `package-with-a-rather-long-name-${i + offset}`,
      version: `${1 + (i % 7)}.${i % 13}.${i % 3}`,
      slot: '0',
      repository: 'gentoo',
      use: ['nls', 'ssl', 'readline', 'threads'].slice(0, i % 5),
      bytes: 10_000 + i * 37 + (i % 4 === 0 ? grow : 0),
      files: 1,
      trimmable: { ...emptyTrimmable(), docs: i % 11 },
    }))
  const sized = (packages: PackageSize[]): SizeReport => {
    const trimmable = emptyTrimmable()
    trimmable.docs = packages.reduce((s, p) => s + p.trimmable.docs, 0)
    return {
      schema: SIZE_REPORT_SCHEMA,
      name: 'huge',
      profile: 'p',
      commit: null,
      ref: null,
      configHash: null,
      totalBytes: packages.reduce((s, p) => s + p.bytes, 0),
      packages,
      unowned: { bytes: 0, files: 0, trimmable: emptyTrimmable(), largest: [] },
      trimmable,
    }
  }
  const old = sized(many(5000, 0, 0))
  const now = sized([...many(2500, 0, 5000), ...many(2500, 10_000, 0)])
  const big = input(now, { report: old, label: 'main@0000000', source: 'x' })

  it('the job summary stays far below 1 MiB and folds what it cannot show', () => {
    const text = sizeSummaryMarkdown(big)
    expect(text.length).toBeLessThan(200_000)
    expect(text).toContain('**Added (2500, +')
    expect(text).toContain('<details><summary>200 more</summary>')
    expect(text).toMatch(/… and 2275 more not listed \(\+[\d.]+ MiB\)\./)
    expect(text).toMatch(/\*\*Removed \(2500, -[\d.]+ MiB\)\*\*/)
  })

  it('the comment stays below GitHub’s 65536 characters', () => {
    const text = sizeCommentMarkdown(big, 'https://github.com/o/r/actions/runs/1')
    expect(text.length).toBeLessThan(65_536)
    expect(text.length).toBeLessThanOrEqual(COMMENT_LIMITS.maxChars + 200)
  })

  it('cuts rows until it fits a small limit', () => {
    const text = sizeSummaryMarkdown(big, {
      rows: 50,
      foldedRows: 500,
      largest: 50,
      maxChars: 20_000,
    })
    expect(text.length).toBeLessThanOrEqual(20_000)
    expect(text).toContain('**Added (2500,')
  })
})
