// Reads an MLflow SQL store in SQLite (`mlflow.db`), opened read-only, then
// follows it: a change to the database file or its journal/WAL triggers a
// sync that reads only what is new — metrics by rowid, and the small tables
// (experiments, runs, params, tags) by diffing against what was last seen.
// Every statement is its own short read transaction, so a training process
// writing to the file is never kept waiting by runwatch.
import { createHash } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { availableParallelism } from 'node:os'
import Database from 'better-sqlite3'
import type { DatasetInput, EventSink, MetricBatch, StoreEvent, StoreSource } from '../events.ts'
import { runInWorkers } from '../worker-pool.ts'
import type { MetricsJob } from './metrics-worker.ts'
import { KEY_VALUE_TEXT_SQL, parseKeyValueText } from './key-value-text.ts'
import { readMetricRows } from './metric-reads.ts'
import { toExperiment, toRun, type ExperimentRow, type RunRow } from './rows.ts'

export interface SqliteStoreOptions {
  log?: (message: string) => void
  /** Safety net for missed file events: how often PRAGMA data_version is checked. */
  pollMs?: number
  /** Params and tags of runs that are not running are re-compared this often. */
  fullDiffMs?: number
  /** An initial read of more metric rows than this goes to worker threads. */
  workerThresholdRows?: number
}

/** Rows per metrics read: one short statement each, yielding to the event loop in between. */
const METRIC_PAGE = 50_000
const REQUIRED_TABLES = ['experiments', 'runs', 'metrics', 'params', 'tags']
/** Initial reads larger than this use worker threads, in ranges of WORKER_RANGE_ROWS rowids. */
const WORKER_THRESHOLD_ROWS = 500_000
const WORKER_RANGE_ROWS = 25_000
/** Ranges a worker may read ahead of the hand-over: 40 × 25,000 rows, about 24 MB of columns each, about the second or two the small tables take. */
const WORKER_DEPTH = 40
/** Points handed on together from the worker reads (about 6 MB of columns). */
const EMIT_POINTS = 250_000

export class SqliteStoreSource implements StoreSource {
  private readonly log: (message: string) => void
  private db: Database.Database | undefined
  private sink: EventSink = () => {}
  private watcher: FSWatcher | undefined
  private poll: NodeJS.Timeout | undefined
  private pendingSync: NodeJS.Timeout | undefined
  private syncing: Promise<void> | undefined
  private again = false
  private closed = false
  private lastRowid = 0
  private dataVersion = -1
  private lastFullDiff = 0
  private changedSinceFullDiff = false
  private readonly experiments = new Map<string, string>()
  private readonly runs = new Map<string, { signature: string; running: boolean }>()
  /** Last seen values per run (params, tags) and per experiment (experiment tags). */
  private readonly params = new Map<string, Record<string, string>>()
  private readonly tags = new Map<string, Record<string, string>>()
  private readonly experimentTags = new Map<string, string>()
  private readonly inputs = new Map<string, string>()
  /**
   * Per table, a digest of its whole text at the last full comparison, kept
   * while no comparison of some runs found a change since: a table whose
   * text has the same digest again holds what was last seen, and its 400,000
   * rows need not be compared (a full comparison comes every few seconds
   * while the store is written to).
   */
  private readonly unchangedSinceFull = new Map<'params' | 'tags', string>()
  private readonly counts = { runs: 0, points: 0 }

  constructor(
    readonly path: string,
    private readonly options: SqliteStoreOptions = {},
  ) {
    this.log = options.log ?? ((m) => console.error(`runwatch: ${m}`))
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink
    const db = new Database(this.path, { readonly: true, fileMustExist: true })
    this.db = db
    const tables = new Set(
      (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]),
    )
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t))
    if (missing.length > 0) {
      db.close()
      throw new Error(`${this.path} is not an MLflow tracking database (no ${missing.join(', ')} table)`)
    }
    const started = Date.now()
    await this.syncOnce(true)
    this.log(`indexed ${this.path}: ${this.counts.runs} runs, ${this.counts.points} points in ${((Date.now() - started) / 1000).toFixed(1)} s`)

    const base = basename(this.path)
    const names = new Set([base, `${base}-journal`, `${base}-wal`])
    this.watcher = watch(dirname(this.path), { persistent: false }, (_e, name) => {
      if (name && names.has(name.toString())) this.schedule()
    })
    this.watcher.on('error', (err) => this.log(`watching ${this.path}: ${err.message}`))
    this.poll = setInterval(() => {
      // A change since the last full comparison may have touched a finished run's tags: compare once more.
      const fullDue = this.changedSinceFullDiff && Date.now() - this.lastFullDiff >= (this.options.fullDiffMs ?? 5000)
      if (fullDue || this.readDataVersion() !== this.dataVersion) this.schedule()
    }, this.options.pollMs ?? 1000)
    this.poll.unref()
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.poll)
    clearTimeout(this.pendingSync)
    this.watcher?.close()
    await this.syncing
    this.db?.close()
  }

  /** Resolves when every change noticed so far has been read and handed on. */
  async idle(): Promise<void> {
    while (this.syncing || this.pendingSync) await (this.syncing ?? new Promise((r) => setTimeout(r, 5)))
  }

  /** Many file events arrive per commit; one sync a few milliseconds later reads them all. */
  private schedule(): void {
    if (this.closed || this.pendingSync) return
    this.pendingSync = setTimeout(() => {
      this.pendingSync = undefined
      void this.sync()
    }, 3)
  }

  private sync(): Promise<void> {
    if (this.syncing) {
      this.again = true
      return this.syncing
    }
    this.syncing = (async () => {
      try {
        do {
          this.again = false
          await this.syncOnce(false)
        } while (this.again && !this.closed)
      } catch (err) {
        this.log(`reading ${this.path} failed: ${(err as Error).message}; will retry on the next change`)
      } finally {
        this.syncing = undefined
      }
    })()
    return this.syncing
  }

  private readDataVersion(): number {
    return this.db!.prepare('PRAGMA data_version').pluck().get() as number
  }

  private async syncOnce(initial: boolean): Promise<void> {
    const db = this.db!
    this.dataVersion = this.readDataVersion()
    const maxRowid = (db.prepare('SELECT max(rowid) FROM metrics').pluck().get() as number | null) ?? 0
    if (maxRowid < this.lastRowid) {
      // `mlflow gc` or VACUUM renumbered the metrics: start over.
      this.log(`${this.path}: metrics were rewritten (largest rowid ${this.lastRowid} → ${maxRowid}); reading the store again`)
      await this.emit([...this.runs.keys()].map((runId) => ({ type: 'run-removed', runId }) as StoreEvent))
      this.resetState()
      initial = true
    }
    const now = Date.now()
    const full = initial || now - this.lastFullDiff >= (this.options.fullDiffMs ?? 5000)
    if (full) this.lastFullDiff = now
    this.changedSinceFullDiff = !full

    // The workers start first: they load, open their connections and read the
    // first ranges while this thread compares the small tables (about a second
    // of 10,000 runs' params and tags); their points are handed on only after
    // those tables' events.
    let release!: (emitted: Promise<void>) => void
    const released = new Promise<void>((resolve) => (release = resolve))
    released.catch(() => undefined)
    const workers = initial ? this.readMetricsInWorkers(released) : undefined
    // Awaited below; a failure before that must not go unhandled meanwhile.
    workers?.catch(() => undefined)
    let emitted: Promise<void>
    try {
      const events: StoreEvent[] = []
      this.diffExperiments(events)
      if (full) this.diffExperimentTags(events)
      const touched = this.diffRuns(events)
      this.diffKeyValues('params', full ? undefined : touched, events)
      this.diffKeyValues('tags', full ? undefined : touched, events)
      if (full) this.diffInputs(events)
      emitted = this.emit(events)
    } catch (err) {
      emitted = Promise.reject(err as Error)
    }
    // A failure here also stops the workers' hand-overs (they wait on it).
    release(emitted)
    await emitted
    await workers
    await this.readMetrics()
  }

  /**
   * A large initial read goes to worker threads, each on its own connection,
   * one rowid range at a time; the points are handed on once `after` resolves.
   */
  private async readMetricsInWorkers(after: Promise<void>): Promise<void> {
    const max = (this.db!.prepare('SELECT max(rowid) FROM metrics').pluck().get() as number | null) ?? 0
    const threads = Math.min(4, availableParallelism())
    if (max - this.lastRowid < (this.options.workerThresholdRows ?? WORKER_THRESHOLD_ROWS) || threads < 2) return
    const jobs: MetricsJob[] = []
    const range = Math.max(1, Math.min(WORKER_RANGE_ROWS, Math.ceil((max - this.lastRowid) / (threads * 4))))
    for (let from = this.lastRowid; from < max; from += range) jobs.push({ path: this.path, from, to: Math.min(max, from + range) })
    // Several ranges go on together: each hand-over is a write to the index, with a fixed cost per write.
    let pending: StoreEvent[] = []
    let pendingPoints = 0
    // Each hand-over waits only for the one before it: the workers read on while the index takes in a batch.
    let handing: Promise<void> = after
    await runInWorkers<MetricsJob, MetricBatch[]>(
      new URL('./metrics-worker.js', import.meta.url),
      jobs,
      threads,
      async (_job, batches) => {
        for (const batch of batches) {
          this.counts.points += batch.value.length
          pendingPoints += batch.value.length
          pending.push({ type: 'metrics', batch })
        }
        if (pendingPoints < EMIT_POINTS) return
        const events = pending
        pending = []
        pendingPoints = 0
        const previous = handing
        handing = previous.then(() => this.emit(events))
        // A failure surfaces where the hand-over is awaited (next reply, or the end), not as an unhandled rejection meanwhile.
        handing.catch(() => undefined)
        await previous
      },
      // In rowid order: each series keeps its store order, which live cursors count on. Up to
      // WORKER_DEPTH ranges ahead each: the workers read on while this thread compares the small tables.
      { ordered: true, depth: WORKER_DEPTH },
    )
    await handing
    await this.emit(pending)
    this.lastRowid = max
  }

  private resetState(): void {
    this.lastRowid = 0
    this.experiments.clear()
    this.runs.clear()
    this.params.clear()
    this.tags.clear()
    this.experimentTags.clear()
    this.inputs.clear()
    this.unchangedSinceFull.clear()
    this.counts.runs = 0
    this.counts.points = 0
  }

  private diffExperiments(events: StoreEvent[]): void {
    const rows = this.db!.prepare(
      `SELECT CAST(experiment_id AS TEXT), name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments`,
    ).raw().all() as ExperimentRow[]
    const seen = new Set<string>()
    for (const row of rows) {
      seen.add(row[0])
      const signature = JSON.stringify(row)
      if (this.experiments.get(row[0]) === signature) continue
      this.experiments.set(row[0], signature)
      events.push({ type: 'experiment', experiment: toExperiment(row) })
    }
    for (const id of [...this.experiments.keys()]) {
      if (seen.has(id)) continue
      this.experiments.delete(id)
      this.experimentTags.delete(id)
      events.push({ type: 'experiment-removed', experimentId: id })
    }
  }

  private diffExperimentTags(events: StoreEvent[]): void {
    const rows = this.db!.prepare(`SELECT CAST(experiment_id AS TEXT), key, value FROM experiment_tags ORDER BY 1, 2`).raw().all() as [string, string, string | null][]
    const byExperiment = new Map<string, Record<string, string>>()
    for (const id of this.experiments.keys()) byExperiment.set(id, {})
    for (const [id, key, value] of rows) {
      const values = byExperiment.get(id) ?? {}
      values[key] = value ?? ''
      byExperiment.set(id, values)
    }
    for (const [id, values] of byExperiment) {
      const signature = JSON.stringify(values)
      if ((this.experimentTags.get(id) ?? '{}') === signature) continue
      this.experimentTags.set(id, signature)
      events.push({ type: 'experiment-tags', experimentId: id, values })
    }
  }

  /** Dataset inputs of runs: inputs → datasets, with the context input tag. */
  private diffInputs(events: StoreEvent[]): void {
    const tables = this.db!.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('inputs', 'datasets', 'input_tags')`).pluck().all()
    if (tables.length < 3) return
    const rows = this.db!.prepare(
      `SELECT i.destination_id, d.name, d.digest, d.dataset_source_type,
              (SELECT value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')
       FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
       WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'
       ORDER BY 1, 2, 3`,
    ).raw().all() as [string, string, string, string, string | null][]
    const byRun = new Map<string, DatasetInput[]>()
    for (const [runId, name, digest, sourceType, context] of rows) {
      const list = byRun.get(runId) ?? []
      list.push({ name, digest, sourceType, context })
      byRun.set(runId, list)
    }
    for (const [runId, inputs] of byRun) {
      const signature = JSON.stringify(inputs)
      if (this.inputs.get(runId) === signature) continue
      this.inputs.set(runId, signature)
      events.push({ type: 'inputs', runId, inputs })
    }
  }

  /** Emits new, changed and vanished runs; returns the runs whose params/tags to re-read. */
  private diffRuns(events: StoreEvent[]): Set<string> {
    const rows = this.db!.prepare(
      `SELECT run_uuid, CAST(experiment_id AS TEXT), name, status, start_time, end_time, lifecycle_stage, user_id, artifact_uri FROM runs`,
    ).raw().all() as RunRow[]
    const touched = new Set<string>()
    const seen = new Set<string>()
    for (const row of rows) {
      seen.add(row[0])
      const signature = JSON.stringify(row)
      const known = this.runs.get(row[0])
      const running = row[3] === 'RUNNING'
      if (running || known?.signature !== signature) touched.add(row[0])
      if (known?.signature === signature) continue
      if (!known) this.counts.runs++
      this.runs.set(row[0], { signature, running })
      events.push({ type: 'run', run: toRun(row) })
    }
    for (const runId of [...this.runs.keys()]) {
      if (seen.has(runId)) continue
      this.runs.delete(runId)
      this.params.delete(runId)
      this.tags.delete(runId)
      this.inputs.delete(runId)
      events.push({ type: 'run-removed', runId })
    }
    return touched
  }

  /** Params or tags of the given runs (all runs when undefined), emitted where they differ from last time. */
  private diffKeyValues(table: 'params' | 'tags', runIds: Set<string> | undefined, events: StoreEvent[]): void {
    if (runIds?.size === 0) return
    const known = table === 'params' ? this.params : this.tags
    // In table order, not sorted: a record's key order means nothing.
    const from = `FROM ${table}` + (runIds ? ` WHERE run_uuid IN (SELECT value FROM json_each(?))` : '')
    const args = runIds ? [JSON.stringify([...runIds])] : []
    const [count, text] = this.db!.prepare(`SELECT ${KEY_VALUE_TEXT_SQL} ${from}`).raw().get(...args) as [number, Uint8Array | null]
    const digest = runIds ? undefined : `${count}:${createHash('sha1').update(text ?? '').digest('base64')}`
    if (digest !== undefined && this.unchangedSinceFull.get(table) === digest) return
    const byRun = new Map<string, Record<string, string>>()
    // Runs asked about but without rows now: their keys were all deleted.
    for (const runId of runIds ?? known.keys()) byRun.set(runId, {})
    const add = (runId: string, key: string, value: string) => {
      let values = byRun.get(runId)
      if (!values) byRun.set(runId, (values = {}))
      values[key] = value
    }
    const eventsBefore = events.length
    const parsed = parseKeyValueText(text, count)
    if (parsed) {
      for (let i = 0; i < parsed.runIds.length; i++) add(parsed.runIds[i]!, parsed.keys[i]!, parsed.values[i]!)
    } else {
      // In table order, and iterated: each row is garbage once read instead of 400,000 kept alive to the end.
      for (const [runId, key, value] of this.db!.prepare(`SELECT run_uuid, key, value ${from}`).raw().iterate(...args) as Iterable<[string, string, string | null]>) {
        add(runId, key, value ?? '')
      }
    }
    for (const [runId, values] of byRun) {
      const before = known.get(runId)
      if (!before) {
        // A run seen for the first time: all of it is new.
        if (Object.keys(values).length === 0) continue
        known.set(runId, values)
        events.push(table === 'params' ? { type: 'params', runId, values } : { type: 'tags', runId, values })
        continue
      }
      const changed: Record<string, string> = {}
      for (const [k, v] of Object.entries(values)) if (before[k] !== v) changed[k] = v
      const removed = Object.keys(before).filter((k) => !(k in values))
      if (Object.keys(changed).length === 0 && removed.length === 0) continue
      known.set(runId, values)
      if (table === 'params') events.push({ type: 'params', runId, values: changed })
      else events.push({ type: 'tags', runId, values: changed, ...(removed.length > 0 ? { removed } : {}) })
    }
    if (digest !== undefined) this.unchangedSinceFull.set(table, digest)
    else if (events.length > eventsBefore) this.unchangedSinceFull.delete(table)
  }

  private async readMetrics(): Promise<void> {
    for (;;) {
      const read = readMetricRows(this.db!, this.lastRowid, undefined, METRIC_PAGE)
      if (read.rows === 0) return
      this.lastRowid = read.lastRowid
      this.counts.points += read.rows
      await this.emit(read.batches.map((batch) => ({ type: 'metrics', batch }) as StoreEvent))
      if (read.rows < METRIC_PAGE || this.closed) return
    }
  }

  private async emit(events: StoreEvent[]): Promise<void> {
    if (events.length > 0) await this.sink(events)
  }
}
