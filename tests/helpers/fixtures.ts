// Copies of stores written by real MLflow (tests/fixtures/), copied again into
// a temporary folder whenever a test needs to change them.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
export const MLFLOW_VERSIONS = ['mlflow-3.6', 'mlflow-2.17'] as const

export function fixtureFileStore(version: (typeof MLFLOW_VERSIONS)[number]): string {
  return join(FIXTURES, version, 'file', 'mlruns')
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix = 'runwatch-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export function copyFixtureFileStore(version: (typeof MLFLOW_VERSIONS)[number], into: string): string {
  const target = join(into, 'mlruns')
  cpSync(fixtureFileStore(version), target, { recursive: true })
  return target
}

export function fixtureSqliteStore(version: (typeof MLFLOW_VERSIONS)[number]): string {
  return join(FIXTURES, version, 'sqlite', 'mlflow.db')
}

export function copyFixtureSqliteStore(version: (typeof MLFLOW_VERSIONS)[number], into: string): string {
  const target = join(into, 'mlflow.db')
  cpSync(fixtureSqliteStore(version), target)
  return target
}
