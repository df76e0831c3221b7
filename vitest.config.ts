import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
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
