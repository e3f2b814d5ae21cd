// One read of the metrics table, by rowid: the rows come as one blob of text
// (metric-text.ts); should it not parse, the same rows are read one by one.
// Each call is one short statement (its own read transaction), plus the retry.
import type Database from 'better-sqlite3'
import type { MetricBatch } from '../events.ts'
import { METRIC_LINE_SQL, METRIC_TEXT_SQL, parseMetricText } from './metric-text.ts'
import { toMetricBatches, type MetricRow } from './rows.ts'

export interface MetricRead {
  batches: MetricBatch[]
  rows: number
  /** The largest rowid read (`after` when there was nothing). */
  lastRowid: number
}

const statements = new WeakMap<Database.Database, { text: Database.Statement; rows: Database.Statement }>()

function prepared(db: Database.Database) {
  let s = statements.get(db)
  if (!s) {
    s = {
      text: db.prepare(
        `SELECT count(*), max(rowid), ${METRIC_TEXT_SQL} FROM ` +
          `(SELECT rowid, ${METRIC_LINE_SQL} AS line FROM metrics WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?)`,
      ).raw(),
      rows: db.prepare('SELECT rowid, run_uuid, key, timestamp, value, step, is_nan FROM metrics WHERE rowid > ? AND rowid <= ? ORDER BY rowid').raw(),
    }
    statements.set(db, s)
  }
  return s
}

/** The rows with `after < rowid <= upTo`, at most `limit` of them (-1: all). */
export function readMetricRows(db: Database.Database, after: number, upTo = Number.MAX_SAFE_INTEGER, limit = -1): MetricRead {
  const s = prepared(db)
  const [rows, last, text] = s.text.get(after, upTo, limit) as [number, number | null, Uint8Array | null]
  if (rows === 0) return { batches: [], rows: 0, lastRowid: after }
  const lastRowid = last!
  const parsed = text ? parseMetricText(text, rows) : undefined
  if (parsed) return { batches: parsed, rows, lastRowid }
  const all = s.rows.all(after, lastRowid) as MetricRow[]
  return { batches: toMetricBatches(all), rows: all.length, lastRowid }
}
