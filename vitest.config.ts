import path from 'node:path'
import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Seconds each integration file took in a clean-clone `.ci/run` (2026-12-02). Two files run at a
 * time; started slowest first, the two workers end together instead of one file running alone at
 * the end (vitest's own order without earlier results is by file size). A file not listed goes
 * after them, in vitest's order.
 */
const MEASURED_SECONDS: Readonly<Record<string, number>> = {
  'cache-faults.test.ts': 152,
  'faults.test.ts': 96,
  'action.test.ts': 94,
  'pack.test.ts': 88,
  'confinement.test.ts': 82,
  'service.test.ts': 77,
  'cache.test.ts': 69,
  'minimize.test.ts': 60,
  'gating.test.ts': 60,
  'oci.test.ts': 47,
  'image.test.ts': 44,
  'concurrency.test.ts': 41,
  'real-tree.test.ts': 24,
}

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (spec: TestSpecification): number =>
      MEASURED_SECONDS[path.basename(spec.moduleId)] ?? 0
    return [...(await super.sort(files))].sort((a, b) => seconds(b) - seconds(a))
  }
}

export default defineConfig({
  test: {
    // A root option (vitest has no per-project sequencer); only integration files are listed.
    sequence: { sequencer: SlowestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          // The local Actions services (Azurite plus the twirp server) against the real libraries.
          name: 'services',
          include: ['test/services/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One cache directory for the whole run, pre-filled once (test/integration/shared-cache.ts).
          globalSetup: ['test/integration/global-setup.ts'],
          // Real Portage and LXC: builds take tens of seconds and share machine-wide resources.
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          // Two files at a time: much of a build is waiting (timeouts, the cache service's
          // retries, lxc-execute), so two of them share the machine's two cores well.
          pool: 'forks',
          maxWorkers: 2,
        },
      },
    ],
  },
})
