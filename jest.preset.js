// Shared jest setup: ts-jest on sources, workspace packages resolved to their src/ (as in
// tsconfig.base.json paths) so tests never depend on a previous build.
const path = require('node:path');

module.exports = (projectDir) => ({
  rootDir: projectDir,
  displayName: path.basename(projectDir),
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(projectDir, 'tsconfig.json')}],
  },
  moduleNameMapper: {
    '^@market-data/(storage-core|pool|queries|client|runtime|testing)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
});
