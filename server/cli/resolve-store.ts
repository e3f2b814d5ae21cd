// Which store to serve: the one given, else where MLflow itself looks.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseStoreUri, type StoreLocation } from '../../ingest-watch/store-uri.ts'

export type StoreChoice = StoreLocation | { kind: 'demo' }

export class StoreNotFoundError extends Error {}

export function resolveStore(store: string | undefined, demo: boolean, cwd: string): StoreChoice {
  if (demo) return { kind: 'demo' }
  if (store === undefined) {
    const mlruns = join(cwd, 'mlruns')
    if (holdsExperiments(mlruns)) return { kind: 'file', path: mlruns }
    const db = join(cwd, 'mlflow.db')
    if (existsSync(db)) return { kind: 'sqlite', path: db }
    return { kind: 'demo' }
  }
  const location = parseStoreUri(store, cwd)
  if (!existsSync(location.path)) {
    throw new StoreNotFoundError(`store not found: ${location.path} does not exist`)
  }
  if (location.kind === 'sqlite' && statSync(location.path).isDirectory()) {
    throw new StoreNotFoundError(`${location.path} is a folder, not an SQLite database file`)
  }
  if (location.kind === 'file' && !statSync(location.path).isDirectory()) {
    throw new StoreNotFoundError(`${location.path} is a file, not an MLflow file store folder (for a SQLite store use sqlite:///${location.path})`)
  }
  return location
}

/** An mlruns folder can hold only artifacts (MLflow ≥ 3.7 with SQLite): it counts when an experiment meta.yaml is there. */
function holdsExperiments(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some(
      (e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(dir, e.name, 'meta.yaml')),
    )
  } catch {
    return false
  }
}
