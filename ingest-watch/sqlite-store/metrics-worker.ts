// Reads one rowid range of the metrics table on its own read-only connection;
// the columns go back transferred, packed into one buffer, not copied.
import Database from 'better-sqlite3'
import type { MetricBatch } from '../events.ts'
import { packColumns } from '../pack-columns.ts'
import { serveJobs } from '../worker-pool.ts'
import { readMetricRows } from './metric-reads.ts'

export interface MetricsJob {
  path: string
  /** rowid > from and rowid <= to */
  from: number
  to: number
}

let db: Database.Database | undefined

await serveJobs<MetricsJob, MetricBatch[]>((job) => {
  db ??= new Database(job.path, { readonly: true, fileMustExist: true })
  const reply = readMetricRows(db, job.from, job.to).batches
  return { reply, transfer: [packColumns(reply)] }
})
