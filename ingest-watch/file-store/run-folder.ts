// Everything in one run folder, read synchronously: meta.yaml, params, tags,
// metrics (with the read position reached in each file) and dataset inputs.
// The initial scan runs this in worker threads, many runs at a time.
import { readdirSync, type Dirent } from 'node:fs'
import { sep } from 'node:path'
import type { DatasetInput, RunRecord } from '../events.ts'
import { MetaYamlError, parseDatasetMeta, parseRunInputMeta, parseRunMeta } from '../meta-yaml.ts'
import { MAX_READ_BYTES, newMetricState, readMetricBytes, readMetricFile, type MetricColumns, type MetricReadState } from './metric-file.ts'
import { RUN_SECTIONS } from './layout.ts'
import { readListedFile, readRegularFile } from './read-file.ts'

export interface RunLocationRef {
  experimentId: string
  expDir: string
  runId: string
}

export interface RunFolder {
  /** Absent when meta.yaml could not be read: the rest is then not read either. */
  run?: RunRecord
  /** The meta.yaml problem, when `run` is absent and the file exists. */
  metaProblem?: string
  params: Record<string, string>
  tags: Record<string, string>
  inputs: DatasetInput[]
  metrics: { key: string; state: MetricReadState; batches: MetricColumns[] }[]
  /** Nested key folders (relative to the store root), to watch. */
  dirs: string[]
  /** One message per bad file, with its path relative to the root. */
  problems: { rel: string; message: string }[]
}

/** One per thread: file contents are parsed or decoded before the next file is read into it. */
const SCRATCH = Buffer.allocUnsafe(1024 * 1024)

/** `sleep` waits between meta.yaml attempts (MLflow rewrites it in place). */
export function readRunFolder(root: string, where: RunLocationRef, retryDelays: number[], sleep: (ms: number) => void): RunFolder {
  const dir = `${where.expDir}/${where.runId}`
  const out: RunFolder = { params: {}, tags: {}, inputs: [], metrics: [], dirs: [], problems: [] }
  const text = (rel: string): string | undefined => {
    try {
      return readRegularFile(`${root}${sep}${rel}`, 0, MAX_READ_BYTES).bytes.toString('utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') out.problems.push({ rel, message: `cannot read: ${code ?? (err as Error).message}` })
      return undefined
    }
  }
  for (let attempt = 0; ; attempt++) {
    const meta = text(`${dir}/meta.yaml`)
    if (meta === undefined) return out
    try {
      out.run = parseRunMeta(meta, text(`${dir}/tags/mlflow.runName`))
      break
    } catch (err) {
      if (!(err instanceof MetaYamlError)) throw err
      const delay = retryDelays[attempt]
      if (delay === undefined) {
        out.metaProblem = `skipping run meta.yaml: ${err.message}`
        return out
      }
      sleep(delay)
    }
  }
  // Listed files are read whole into one reused buffer; a larger one (or an error) goes the careful way.
  const listed = (rel: string): Buffer | undefined => {
    try {
      return readListedFile(`${root}${sep}${rel}`, SCRATCH)
    } catch {
      return undefined
    }
  }
  for (const section of RUN_SECTIONS) {
    for (const key of filesOf(root, `${dir}/${section}`, out)) {
      const rel = `${dir}/${section}/${key}`
      if (section === 'metrics') {
        const state = newMetricState()
        try {
          const whole = listed(rel)
          const read = whole ? readMetricBytes(whole, state) : readMetricFile(`${root}${sep}${rel}`, state)
          if (read.problem) out.problems.push({ rel, message: read.problem })
          out.metrics.push({ key, state, batches: read.batches })
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          if (code !== 'ENOENT') out.problems.push({ rel, message: `cannot read metric file: ${code ?? (err as Error).message}` })
        }
      } else {
        const value = listed(rel)?.toString('utf8') ?? text(rel)
        if (value !== undefined) out[section][key] = value
      }
    }
  }
  out.inputs = readInputs(root, where, text, out)
  return out
}

/** Files under a folder, nested keys as 'a/b'; subfolders are recorded for watching; links are not followed. */
function filesOf(root: string, rel: string, out: RunFolder): string[] {
  const files: string[] = []
  const walk = (sub: string) => {
    let entries: Dirent[]
    try {
      entries = readdirSync(`${root}${sep}${rel}${sub ? `/${sub}` : ''}`, { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') out.problems.push({ rel: `${rel}/${sub}`, message: `cannot list: ${code ?? (err as Error).message}` })
      return
    }
    for (const e of entries) {
      const name = sub ? `${sub}/${e.name}` : e.name
      if (e.isFile()) files.push(name)
      else if (e.isDirectory()) {
        out.dirs.push(`${rel}/${name}`)
        walk(name)
      } else if (!e.isSymbolicLink()) out.problems.push({ rel: `${rel}/${name}`, message: 'not a regular file; skipped' })
    }
  }
  walk('')
  return files
}

/** `<run>/inputs/<id>/meta.yaml` naming a dataset in `<experiment>/datasets/`. */
export function readInputs(root: string, where: RunLocationRef, text: (rel: string) => string | undefined, out: { problems: RunFolder['problems'] }): DatasetInput[] {
  const inputsDir = `${where.expDir}/${where.runId}/inputs`
  let ids: string[]
  try {
    ids = readdirSync(`${root}${sep}${inputsDir}`)
  } catch {
    return []
  }
  const inputs: DatasetInput[] = []
  for (const id of ids) {
    const rel = `${inputsDir}/${id}/meta.yaml`
    const meta = text(rel)
    if (meta === undefined) continue
    try {
      const input = parseRunInputMeta(meta)
      if (!input) continue
      const dataset = text(`${where.expDir}/datasets/${input.datasetId}/meta.yaml`)
      if (dataset !== undefined) inputs.push(parseDatasetMeta(dataset, input.context))
    } catch (err) {
      out.problems.push({ rel, message: `skipping dataset input: ${(err as Error).message}` })
    }
  }
  return inputs
}
