import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // Two cores: integration files start workers and restore databases, so run them one by one.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    // NOTE: when a PostgreSQL server it is connected to shuts down (the restart fault test),
    // postgres.js 4.2 sometimes raises the in-flight query's 57P01 error as an uncaught
    // exception in the worker, though the activity also fails and is retried. A production
    // worker exits on it and is restarted. Only that error is let through here, and printed.
    onUnhandledError(error) {
      if ((error as { code?: string }).code !== '57P01') return
      process.stderr.write(`uncaught PostgreSQL shutdown error let through: ${error.message}\n`)
      return false
    },
  },
})
