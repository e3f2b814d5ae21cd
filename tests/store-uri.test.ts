import { describe, expect, it } from 'vitest'
import { parseStoreUri, StoreUriError } from '../ingest-watch/store-uri.ts'

describe('parseStoreUri', () => {
  const cwd = '/home/u/project'
  it('takes plain paths relative to the working directory', () => {
    expect(parseStoreUri('mlruns', cwd)).toEqual({ kind: 'file', path: '/home/u/project/mlruns' })
    expect(parseStoreUri('/data/mlruns', cwd)).toEqual({ kind: 'file', path: '/data/mlruns' })
  })
  it('takes file URIs', () => {
    expect(parseStoreUri('file:///data/my%20runs', cwd)).toEqual({ kind: 'file', path: '/data/my runs' })
  })
  it('reads sqlite URIs as MLflow does: three slashes relative, four absolute', () => {
    expect(parseStoreUri('sqlite:///mlflow.db', cwd)).toEqual({ kind: 'sqlite', path: '/home/u/project/mlflow.db' })
    expect(parseStoreUri('sqlite:////var/lib/mlflow.db', cwd)).toEqual({ kind: 'sqlite', path: '/var/lib/mlflow.db' })
  })
  it('refuses other schemes with a sentence naming them', () => {
    expect(() => parseStoreUri('postgresql://u@h/db', cwd)).toThrow(StoreUriError)
    expect(() => parseStoreUri('postgresql://u@h/db', cwd)).toThrow(/unsupported store URI scheme 'postgresql:'/)
    expect(() => parseStoreUri('sqlite://mlflow.db', cwd)).toThrow(/not a valid SQLite URI/)
  })
})
