// Reads one rowid range of the metrics table on its own read-only connection;
// the columns go back transferred, packed into one buffer, not copied.
import Database from 'better-sqlite3'
import type { MetricBatch } from '../events.ts'
import { packColumns } from '../pack-columns.ts'
import { serveJobs } from '../worker-pool.ts'
import { WORKER_METRIC_COLUMNS, workerRowsToBatches, type WorkerMetricRow } from './rows.ts'

export interface MetricsJob {
  path: string
  /** rowid > from and rowid <= to */
  from: number
  to: number
}

let db: Database.Database | undefined

await serveJobs<MetricsJob, MetricBatch[]>((job) => {
  db ??= new Database(job.path, { readonly: true, fileMustExist: true })
  const rows = db
    .prepare(`SELECT ${WORKER_METRIC_COLUMNS} FROM metrics WHERE rowid > ? AND rowid <= ? ORDER BY rowid`)
    .raw()
    .all(job.from, job.to) as WorkerMetricRow[]
  const reply = workerRowsToBatches(rows, job.to - job.from)
  return { reply, transfer: [packColumns(reply)] }
})
