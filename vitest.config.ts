import { defineConfig } from 'vitest/config';

// Unit tests run first (in memory, seconds); end-to-end tests install and run generated projects.
// Generated defaults must not depend on who runs the tests: the author defaults to
// `git config user.name` when git knows one, so the tests hide the machine's git configuration.
const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export default defineConfig({
  test: {
    env,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
