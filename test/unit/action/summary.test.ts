import { describe, expect, it } from 'vitest'
import { escapeHtml } from '../../../src/util/markdown.ts'
import { parsePlan } from '../../../src/portage/emerge.ts'
import type { CacheEntry } from '../../../src/cache/cache.ts'
import type { InstalledPackage } from '../../../src/portage/vdb.ts'
import type { SmokeResult } from '../../../src/lxc/smoke.ts'
import type { MinimizeResult } from '../../../src/minimize/minimize.ts'
import {
  type BuildReport,
  budgetLine,
  summaryMarkdown,
  withinBudget,
} from '../../../src/action/summary.ts'
import { buildOutputs } from '../../../src/action/outputs.ts'
import type { Sandbox } from '../../../src/host/sandbox.ts'

const MiB = 1024 ** 2

const pkg = (category: string, name: string, version: string, bytes: number): InstalledPackage => ({
  category,
  name,
  version,
  bytes,
})

const PACKAGES = [
  pkg('sys-apps', 'baselayout', '2.14', 40_960),
  pkg('app-shells', 'bash', '5.2_p37-r1', 7_340_032),
  pkg('sys-libs', 'ncurses', '6.5_p20250125', 2_202_010),
  pkg('sys-libs', 'readline', '8.2_p13', 1_048_576),
]

const PLAN = parsePlan(
  [
    '[ebuild  N     ] sys-apps/baselayout-2.14::lxcmin-gentoo to /s/rootfs/ USE="-build" 0 KiB',
    '[ebuild  N     ] sys-libs/ncurses-6.5_p20250125:0/6::gentoo to /s/rootfs/ 0 KiB',
    '[ebuild  N     ] app-shells/bash-5.2_p37-r1::gentoo to /s/rootfs/ USE="readline -nls" 0 KiB',
  ].join('\n'),
)

const PASSED: SmokeResult = {
  passed: true,
  command: ['/bin/bash', '-c', 'echo ok'],
  reason: '',
  output: ['ok'],
}

const report = (overrides: Partial<BuildReport> = {}): BuildReport => ({
  name: 'bash-minimal',
  profile: 'default/linux/amd64/23.0/no-multilib',
  plan: PLAN,
  hostMerges: [],
  packages: PACKAGES,
  sizeBytes: 10_723_328,
  budget: 20 * MiB,
  smoke: PASSED,
  cache: [],
  built: [
    'sys-apps/baselayout-2.14',
    'sys-libs/ncurses-6.5_p20250125',
    'app-shells/bash-5.2_p37-r1',
  ],
  binary: [],
  packed: undefined,
  uploaded: [],
  sbom: [],
  minimized: undefined,
  imageCache: 'off',
  ...overrides,
})

const entry = (kind: CacheEntry['kind'], hit: CacheEntry['hit']): CacheEntry => ({
  kind,
  dir: `/s/${kind}`,
  key: `lxcmin-v1-${kind}-x`,
  restoreKeys: [],
  hit,
  listing: '',
})

describe('summaryMarkdown', () => {
  it('passed, within the budget', () => {
    const markdown = summaryMarkdown(report())
    expect(markdown).toContain(
      '**10.2 MiB** (10723328 bytes) ✅ within the budget of 20.0 MiB (20971520 bytes)',
    )
    expect(markdown).toContain('smoke test passed ✅')
    expect(markdown).not.toContain('❌')
    expect(markdown).not.toContain('Merged into the build host')
    expect(markdown).toMatchInlineSnapshot(`
      "## lxcmin: bash-minimal

      **10.2 MiB** (10723328 bytes) ✅ within the budget of 20.0 MiB (20971520 bytes) · smoke test passed ✅ · profile \`default/linux/amd64/23.0/no-multilib\`

      ### Smoke test ✅

      <code>/bin/bash -c 'echo ok'</code> passed

      <pre>ok</pre>

      **Built from source:** \`sys-apps/baselayout-2.14\`, \`sys-libs/ncurses-6.5_p20250125\`, \`app-shells/bash-5.2_p37-r1\`

      **From binary packages:** none

      <details><summary>Plan: 3 packages (emerge --pretend)</summary>

      | Merge | Package | Into |
      | --- | --- | --- |
      | ebuild N | sys-apps/baselayout-2.14::lxcmin-gentoo | image |
      | ebuild N | sys-libs/ncurses-6.5_p20250125::gentoo | image |
      | ebuild N | app-shells/bash-5.2_p37-r1::gentoo | image |

      </details>
      "
    `)
  })

  it('over the budget, with a failed smoke test whose output is escaped', () => {
    const output = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`)
    output.push('<script>alert("x")</script> & <b>bold</b>')
    const smoke: SmokeResult = {
      passed: false,
      command: ['/bin/sh', '-c', 'echo <b> && exit 3'],
      reason: '/bin/sh -c echo <b> && exit 3 exited with 3 in the container',
      output,
    }
    const markdown = summaryMarkdown(report({ name: 'big<box>', budget: 10 * MiB, smoke }))
    expect(markdown).toContain('❌ over the budget of 10.0 MiB (10485760 bytes)')
    expect(markdown).toContain('smoke test failed ❌')
    expect(markdown).toContain('## lxcmin: big&lt;box&gt;')
    expect(markdown).toContain(
      '&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</pre>',
    )
    expect(markdown).not.toContain('<script>')
    expect(markdown).not.toContain('<b>')
    // The last 40 lines of the output only.
    expect(markdown).toContain('<pre>line 7\n')
    expect(markdown).not.toContain('line 6\n')
    expect(markdown).toMatchInlineSnapshot(`
      "## lxcmin: big&lt;box&gt;

      **10.2 MiB** (10723328 bytes) ❌ over the budget of 10.0 MiB (10485760 bytes) · smoke test failed ❌ · profile \`default/linux/amd64/23.0/no-multilib\`

      ### Smoke test ❌

      <code>/bin/sh -c 'echo &lt;b&gt; &amp;&amp; exit 3'</code>: /bin/sh -c echo &lt;b&gt; &amp;&amp; exit 3 exited with 3 in the container

      <pre>line 7
      line 8
      line 9
      line 10
      line 11
      line 12
      line 13
      line 14
      line 15
      line 16
      line 17
      line 18
      line 19
      line 20
      line 21
      line 22
      line 23
      line 24
      line 25
      line 26
      line 27
      line 28
      line 29
      line 30
      line 31
      line 32
      line 33
      line 34
      line 35
      line 36
      line 37
      line 38
      line 39
      line 40
      line 41
      line 42
      line 43
      line 44
      line 45
      &lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</pre>

      **Built from source:** \`sys-apps/baselayout-2.14\`, \`sys-libs/ncurses-6.5_p20250125\`, \`app-shells/bash-5.2_p37-r1\`

      **From binary packages:** none

      <details><summary>Plan: 3 packages (emerge --pretend)</summary>

      | Merge | Package | Into |
      | --- | --- | --- |
      | ebuild N | sys-apps/baselayout-2.14::lxcmin-gentoo | image |
      | ebuild N | sys-libs/ncurses-6.5_p20250125::gentoo | image |
      | ebuild N | app-shells/bash-5.2_p37-r1::gentoo | image |

      </details>
      "
    `)
  })

  it('names what was merged into the build host', () => {
    const plan = parsePlan(
      [
        '[ebuild  N     ] dev-build/lxcmin-hosttool-1.0::lxcmin-gentoo  0 KiB',
        '[ebuild  N     ] sys-apps/baselayout-2.14::lxcmin-gentoo to /s/rootfs/ USE="-build" 0 KiB',
      ].join('\n'),
    )
    const markdown = summaryMarkdown(
      report({
        plan,
        hostMerges: plan.slice(0, 1),
        budget: undefined,
        packages: PACKAGES.slice(0, 1),
        sizeBytes: 40_960,
        built: ['sys-apps/baselayout-2.14'],
      }),
    )
    expect(markdown).toContain(
      '⚠️ Merged into the build host itself (build dependencies): `dev-build/lxcmin-hosttool-1.0`',
    )
    expect(markdown).toContain('✅ no size budget')
    expect(markdown).toMatchInlineSnapshot(`
      "## lxcmin: bash-minimal

      **40.0 KiB** (40960 bytes) ✅ no size budget · smoke test passed ✅ · profile \`default/linux/amd64/23.0/no-multilib\`

      ### Smoke test ✅

      <code>/bin/bash -c 'echo ok'</code> passed

      <pre>ok</pre>

      **Built from source:** \`sys-apps/baselayout-2.14\`

      **From binary packages:** none

      ⚠️ Merged into the build host itself (build dependencies): \`dev-build/lxcmin-hosttool-1.0\`

      <details><summary>Plan: 2 packages (emerge --pretend)</summary>

      | Merge | Package | Into |
      | --- | --- | --- |
      | ebuild N | dev-build/lxcmin-hosttool-1.0::lxcmin-gentoo | build host |
      | ebuild N | sys-apps/baselayout-2.14::lxcmin-gentoo | image |

      </details>
      "
    `)
  })

  it('has no package table: the size section has the one, with the unowned and files rows', () => {
    const rows = summaryMarkdown(report())
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('| Package |') || /^\| [a-z]+-[a-z]+\/[^|]* \| [^|]* \| [^|]* \|$/.test(l),
      )
    expect(rows).toEqual([])
  })

  it('names what closure removed, most first, and the level otherwise', () => {
    const minimized: MinimizeResult = {
      level: 'closure',
      entryPoint: '/bin/bash',
      removedFiles: 12,
      removedDirs: 3,
      removedBytes: 3 * MiB,
      removedByPackage: new Map(),
      removedBytesByPackage: new Map([
        ['sys-libs/readline-8.2_p13', 1 * MiB],
        ['app-shells/bash-5.2_p37-r1', 2 * MiB],
        ['sys-apps/baselayout-2.14', 0],
      ]),
      unownedRemoved: [],
      unownedRemovedBytes: 0,
      unresolved: [],
      unmatchedKeepFiles: [],
      problems: [],
      vdbFilesChanged: 2,
    }
    expect(summaryMarkdown(report({ minimized }))).toContain(
      '\n**Minimize:** closure removed 3.00 MiB (12 files): `app-shells/bash-5.2_p37-r1` 2.00 MiB, `sys-libs/readline-8.2_p13` 1.00 MiB\n',
    )
    expect(summaryMarkdown(report({ minimized: { ...minimized, level: 'standard' } }))).toContain(
      '\n**Minimize:** standard\n',
    )
  })

  it('one package in the plan is no packages', () => {
    expect(summaryMarkdown(report({ plan: PLAN.slice(0, 1) }))).toContain(
      '<summary>Plan: 1 package (emerge --pretend)</summary>',
    )
    expect(summaryMarkdown(report())).toContain(
      '<summary>Plan: 3 packages (emerge --pretend)</summary>',
    )
  })

  it('says what came from the cache, what was built and what came from binary packages', () => {
    const markdown = summaryMarkdown(
      report({
        cache: [entry('distfiles', 'exact'), entry('binpkgs', 'partial')],
        built: ['app-shells/bash-5.2_p37-r1'],
        binary: ['sys-apps/baselayout-2.14', 'sys-libs/ncurses-6.5_p20250125'],
      }),
    )
    expect(markdown).toContain('\n**Cache:** distfiles exact, binpkgs partial\n')
    expect(markdown).toContain('\n**Built from source:** `app-shells/bash-5.2_p37-r1`\n')
    expect(markdown).toContain(
      '\n**From binary packages:** `sys-apps/baselayout-2.14`, `sys-libs/ncurses-6.5_p20250125`\n',
    )
  })

  it('without a cache: no cache line, and none from binary packages', () => {
    const markdown = summaryMarkdown(report())
    expect(markdown).not.toContain('**Cache:**')
    expect(markdown).toContain('\n**From binary packages:** none\n')
  })

  it('leaves out an empty smoke output', () => {
    expect(summaryMarkdown(report({ smoke: { ...PASSED, output: [] } }))).not.toContain('<pre>')
  })
})

describe('budgetLine and withinBudget', () => {
  it.each<[number, number | undefined, boolean, string]>([
    [100, undefined, true, 'no size budget'],
    [100, 100, true, 'within the budget of 100 B (100 bytes)'],
    [101, 100, false, 'over the budget of 100 B (100 bytes)'],
    [10 * MiB, 20 * MiB, true, 'within the budget of 20.0 MiB (20971520 bytes)'],
    [20 * MiB + 1, 20 * MiB, false, 'over the budget of 20.0 MiB (20971520 bytes)'],
    [0, 0, true, 'within the budget of 0 B (0 bytes)'],
  ])('%d bytes, budget %s', (sizeBytes, budget, within, line) => {
    expect(withinBudget({ sizeBytes, budget })).toBe(within)
    expect(budgetLine({ sizeBytes, budget })).toBe(line)
  })
})

describe('escapeHtml', () => {
  it.each([
    ['a & <b> "c"', 'a &amp; &lt;b&gt; "c"'],
    ['<', '&lt;'],
    ['&lt;', '&amp;lt;'],
    ['plain', 'plain'],
  ])('%j is %j', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped)
  })
})

describe('an OCI image with its SBOM, pushed', () => {
  const digest = `sha256:${'a'.repeat(64)}`
  const oci = {
    layout: '/s/out/bash.oci',
    tag: 'latest',
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 500 },
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 400 },
    layer: { mediaType: 'x', digest, size: 3, diffId: digest },
  }
  const packed = {
    path: '/s/out/bash.oci.tar',
    bytes: 4096,
    sha256: 'b'.repeat(64),
    oci,
    normalized: { removed: [], rewritten: [] },
    epoch: 0,
  }
  const sbom = {
    format: 'spdx' as const,
    path: '/s/out/bash.spdx.json',
    bytes: 2048,
    sha256: 'c'.repeat(64),
    packages: 4,
    files: 9,
  }
  const built = report({
    packed,
    sbom: [sbom],
    uploaded: [{ name: 'bash.spdx.json', id: 7, url: 'https://x/7' }],
    pushed: { digest, references: [`ghcr.io/o/bash:1@${digest}`] },
  })

  it('the summary names the archive, the SBOM (linked), the manifest and the pushes', () => {
    const markdown = summaryMarkdown(built)
    expect(markdown).toContain(`| bash.oci.tar | 4.00 KiB | \`sha256:${'b'.repeat(64)}\` |`)
    expect(markdown).toContain(
      `| [bash.spdx.json](https://x/7) (SBOM, SPDX 2.3) | 2.00 KiB | \`sha256:${'c'.repeat(64)}\` |`,
    )
    expect(markdown).toContain(`**OCI image:** manifest \`${digest}\``)
    expect(markdown).toContain(`**Pushed:** \`ghcr.io/o/bash:1@${digest}\``)
  })

  it('the outputs: layout, digest, SBOM paths and artifact, pushes', () => {
    const outputs = buildOutputs(built, {
      rootfs: '/s/rootfs',
      lxcConfig: '/s/config',
      dir: '/s',
    } as Sandbox)
    expect(outputs).toMatchObject({
      tarball: '/s/out/bash.oci.tar',
      'oci-layout': '/s/out/bash.oci',
      digest,
      'sbom-spdx': '/s/out/bash.spdx.json',
      'sbom-artifact-id': '7',
      pushed: `ghcr.io/o/bash:1@${digest}`,
      'pushed-digest': digest,
    })
    expect(outputs).not.toHaveProperty('sbom-cyclonedx')
    expect(
      buildOutputs(report(), { rootfs: '', lxcConfig: '', dir: '' } as Sandbox),
    ).not.toHaveProperty('digest')
  })
})
