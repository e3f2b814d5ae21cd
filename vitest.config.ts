import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Server and browser tests each start real processes; two cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
})
