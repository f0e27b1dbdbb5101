import { defineConfig } from 'vitest/config';

// Root (system) tests build real namespaces: on 2 cores parallel sandboxes make flaky tests, so files run one at a time.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
