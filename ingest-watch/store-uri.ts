// MLflow store URIs as users type them: a path, file:///abs, sqlite:///rel.db,
// sqlite:////abs.db. Pure: whether the target exists is checked by the caller.
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type StoreLocation =
  | { kind: 'file'; path: string }
  | { kind: 'sqlite'; path: string }

export class StoreUriError extends Error {}

export function parseStoreUri(uri: string, cwd: string): StoreLocation {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase()
  // A one-letter "scheme" is a Windows drive, i.e. a plain path.
  if (!scheme || scheme.length === 1) return { kind: 'file', path: resolve(cwd, uri) }
  if (scheme === 'file') {
    if (!uri.startsWith('file://')) return { kind: 'file', path: resolve(cwd, uri.slice('file:'.length)) }
    try {
      return { kind: 'file', path: fileURLToPath(uri) }
    } catch {
      throw new StoreUriError(`'${uri}' is not a valid file URI (expected file:///absolute/path)`)
    }
  }
  if (scheme === 'sqlite') {
    const m = /^sqlite:\/\/\/(.+)$/.exec(uri)
    if (!m) throw new StoreUriError(`'${uri}' is not a valid SQLite URI (expected sqlite:///relative.db or sqlite:////absolute.db)`)
    const rest = decodeURIComponent(m[1]!)
    return { kind: 'sqlite', path: isAbsolute(rest) ? rest : resolve(cwd, rest) }
  }
  throw new StoreUriError(
    `unsupported store URI scheme '${scheme}:' in '${uri}'; runwatch reads file stores (a path or file:///…) and SQLite stores (sqlite:///…)`,
  )
}
