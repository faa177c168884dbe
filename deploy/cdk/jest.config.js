/** Tests synthesize the stacks in-process: no AWS account, no credentials, no Docker. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is `tsc --noEmit` in `npm test`; ts-jest only transpiles (isolatedModules in
  // tsconfig.json), which keeps a run well under a minute on two cores.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFilesAfterEnv: ['<rootDir>/test/cleanup.ts'],
  testTimeout: 60000,
  // Jest's cache stays in the checkout, not in /tmp: a test run leaves no temp directory behind.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
};
