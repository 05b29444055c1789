import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once per run (e2e tests run the built server) and makes the scratch folder for
    // the HOMEs of spawned servers.
    globalSetup: ['./test/global-setup.ts'],
    // Bounds for what never ends, not speed limits: the suite must pass on a slow, busy machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: e2e files spawn servers, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
