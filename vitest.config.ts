import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Examples import `pgsa` as an app would; the package's `pgsa-source` export condition points
  // that name at src/*.ts, so tests and examples share one copy of the library.
  resolve: { conditions: ['pgsa-source'] },
  ssr: { resolve: { conditions: ['pgsa-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
