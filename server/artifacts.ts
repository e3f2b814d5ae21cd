// A run's artifacts on local disk. The recorded artifact URI is tried first;
// a store copied from another machine records paths that do not exist here,
// so the artifacts next to the store are the fallback, as MLflow lays them
// out. Paths from requests never leave the artifact root.
import { existsSync, realpathSync, statSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface StoreInfo {
  kind: 'file' | 'sqlite'
  path: string
}

export class ArtifactPathError extends Error {}

/** The local folder holding a run's artifacts, or undefined when there is none. */
export function artifactRoot(store: StoreInfo, run: { experimentId: string; runId: string; artifactUri: string }): string | undefined {
  const candidates: string[] = []
  const recorded = localPath(run.artifactUri)
  if (recorded) candidates.push(recorded)
  if (store.kind === 'file') {
    candidates.push(join(store.path, run.experimentId, run.runId, 'artifacts'))
    candidates.push(join(store.path, '.trash', run.experimentId, run.runId, 'artifacts'))
  } else {
    candidates.push(join(dirname(store.path), 'mlruns', run.experimentId, run.runId, 'artifacts'))
  }
  return candidates.find((c) => existsSync(c) && statSync(c).isDirectory())
}

function localPath(uri: string): string | undefined {
  if (!uri) return undefined
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri)
    } catch {
      return undefined
    }
  }
  return isAbsolute(uri) ? uri : undefined
}

/**
 * Resolves a request path inside `root`; throws for '..', absolute paths and
 * symbolic links that lead outside it.
 */
export function resolveInside(root: string, requested: string): string {
  if (requested.includes('\0')) throw new ArtifactPathError('invalid path')
  const cleaned = requested.replace(/^\/+/, '')
  if (isAbsolute(requested) && cleaned === requested) throw new ArtifactPathError('absolute paths are not allowed')
  const target = resolve(root, cleaned)
  const rel = relative(root, target)
  if (rel.startsWith('..') || isAbsolute(rel)) throw new ArtifactPathError(`path '${requested}' leaves the artifact folder`)
  if (existsSync(target)) {
    const real = realpathSync(target)
    const realRoot = realpathSync(root)
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new ArtifactPathError(`path '${requested}' leaves the artifact folder`)
  }
  return target
}

export interface ArtifactEntry {
  path: string
  is_dir: boolean
  file_size?: number
}

/** One folder level, as MLflow's artifacts/list answers: paths relative to the root. */
export async function listArtifacts(root: string, path: string): Promise<ArtifactEntry[]> {
  const dir = resolveInside(root, path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return []
  const entries = await readdir(dir, { withFileTypes: true })
  const out: ArtifactEntry[] = []
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, e.name)
    const rel = relative(root, full).split(sep).join('/')
    if (e.isDirectory()) out.push({ path: rel, is_dir: true })
    else if (e.isFile()) out.push({ path: rel, is_dir: false, file_size: (await stat(full)).size })
  }
  return out
}
