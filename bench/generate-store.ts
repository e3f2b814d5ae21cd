// Generates a file store in MLflow's exact format for the benchmarks, cached
// under bench/.data/ (the same size is generated once).
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { MlflowFileStoreWriter, type MetricPoint } from '../demo/mlflow-file-writer.ts'

export interface StoreShape {
  runs: number
  metrics: number
  points: number
  params: number
  tags: number
  /** Experiments the runs are spread over (2 when left out). */
  experiments?: number
}

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '.data')

export function generateFileStore(shape: StoreShape): { root: string; generatedSeconds: number | null } {
  const name = `file-${shape.runs}r-${shape.metrics}m-${shape.points}p-${shape.params}pa-${shape.tags}t${shape.experiments && shape.experiments !== 2 ? `-${shape.experiments}e` : ''}`
  const root = join(DATA_DIR, name, 'mlruns')
  const marker = join(DATA_DIR, name, '.complete')
  if (existsSync(marker)) return { root, generatedSeconds: null }
  rmSync(join(DATA_DIR, name), { recursive: true, force: true })
  mkdirSync(root, { recursive: true })
  const started = performance.now()
  const w = new MlflowFileStoreWriter(root)
  w.createExperiment('Default', '0')
  const experiments = Array.from({ length: shape.experiments ?? 2 }, (_, i) => w.createExperiment(`bench-${String.fromCharCode(97 + i)}`))
  const t0 = 1_790_000_000_000
  for (let r = 0; r < shape.runs; r++) {
    const params: Record<string, string> = {}
    for (let p = 0; p < shape.params; p++) params[`param_${p}`] = String((r * 31 + p * 7) % 97 / 10)
    const tags: Record<string, string> = {}
    for (let t = 0; t < shape.tags - 4; t++) tags[`tag_${t}`] = `value-${(r + t) % 13}`
    const runId = w.createRun(experiments[r % experiments.length]!, { name: `run-${r}`, startTime: t0 + r * 1000, params, tags })
    for (let m = 0; m < shape.metrics; m++) {
      const points: MetricPoint[] = []
      for (let s = 0; s < shape.points; s++) {
        points.push({ timestamp: t0 + r * 1000 + s * 10, value: Math.exp(-s / 30) * (1 + m / 10) + ((r * 7 + s) % 11) / 100, step: s })
      }
      w.logMetric(runId, `metric_${m}`, points)
    }
    if (r % 4 === 0) w.endRun(runId, 'FINISHED', t0 + r * 1000 + shape.points * 10)
  }
  writeFileSync(marker, '')
  return { root, generatedSeconds: (performance.now() - started) / 1000 }
}

/**
 * The same shape as an MLflow SQLite store: the schema is taken from a
 * database written by real MLflow 3.6 (tests/fixtures), emptied, then filled
 * the way MLflow's SQL store fills it.
 */
export function generateSqliteStore(shape: StoreShape): { path: string; generatedSeconds: number | null } {
  const name = `sqlite-${shape.runs}r-${shape.metrics}m-${shape.points}p-${shape.params}pa-${shape.tags}t`
  const path = join(DATA_DIR, name, 'mlflow.db')
  const marker = join(DATA_DIR, name, '.complete')
  if (existsSync(marker)) return { path, generatedSeconds: null }
  rmSync(join(DATA_DIR, name), { recursive: true, force: true })
  mkdirSync(join(DATA_DIR, name), { recursive: true })
  const started = performance.now()
  copyFileSync(join(DATA_DIR, '..', '..', 'tests', 'fixtures', 'mlflow-3.6', 'sqlite', 'mlflow.db'), path)
  const db = new Database(path)
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  for (const t of ['latest_metrics', 'metrics', 'params', 'tags', 'runs', 'experiment_tags']) db.exec(`DELETE FROM ${t}`)
  db.exec(`DELETE FROM experiments WHERE experiment_id <> 0`)
  db.exec(`INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (1, 'bench-a', '', 'active', 0, 0), (2, 'bench-b', '', 'active', 0, 0)`)
  const insertRun = db.prepare(`INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
    VALUES (?, ?, 'LOCAL', '', '', 'bench', ?, ?, ?, '', 'active', '', ?)`)
  const insertParam = db.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)')
  const insertTag = db.prepare('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)')
  const insertMetric = db.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)')
  const insertLatest = db.prepare('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)')
  const t0 = 1_790_000_000_000
  db.transaction(() => {
    for (let r = 0; r < shape.runs; r++) {
      const runId = randomBytes(16).toString('hex')
      const finished = r % 4 === 0
      insertRun.run(runId, `run-${r}`, finished ? 'FINISHED' : 'RUNNING', t0 + r * 1000, finished ? t0 + r * 1000 + shape.points * 10 : null, 1 + (r % 2))
      for (let p = 0; p < shape.params; p++) insertParam.run(`param_${p}`, String((r * 31 + p * 7) % 97 / 10), runId)
      insertTag.run('mlflow.runName', `run-${r}`, runId)
      for (let t = 0; t < shape.tags - 1; t++) insertTag.run(`tag_${t}`, `value-${(r + t) % 13}`, runId)
      for (let m = 0; m < shape.metrics; m++) {
        let value = 0
        for (let s = 0; s < shape.points; s++) {
          value = Math.exp(-s / 30) * (1 + m / 10) + ((r * 7 + s) % 11) / 100
          insertMetric.run(`metric_${m}`, value, t0 + r * 1000 + s * 10, runId, s)
        }
        insertLatest.run(`metric_${m}`, value, t0 + r * 1000 + (shape.points - 1) * 10, shape.points - 1, runId)
      }
    }
  })()
  db.close()
  writeFileSync(marker, '')
  return { path, generatedSeconds: (performance.now() - started) / 1000 }
}
