// DuckDB index of one store, fed by store events in batches. Writes happen on
// one connection, one batch at a time (the caller serializes them); reads use
// a small pool of other connections and see only committed batches.
import { DuckDBInstance, listValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api'
import type { DatasetInput, ExperimentRecord, MetricBatch, RunRecord, StoreEvent } from '../../ingest-watch/events.ts'
import type { ExperimentSummary, MetricHistoryResponse, RunHealth, RunSummary, SeriesColumns } from '../../protocol/index.ts'
import { positionKey, toWire } from '../../protocol/index.ts'
import { foldPoints, type LatestMetric } from './latest-metric.ts'
import { appendPointColumns, pointColumns } from './point-columns.ts'
import { BLOCK_SIZES, BUILD_BLOCKS_SQL, COARSEST_BLOCKS_SQL, FINEST_BLOCK, foldBlocks, MERGE_BLOCKS_SQL, type Block } from './point-blocks.ts'
import { CLUSTER_BY_KEY_SQL, MERGE_DEFERRED_SQL, SCHEMA_SQL, UPSERTED_TABLES } from './schema.ts'
import { CHUNK_ROWS, copyFromVector } from './vector-arrays.ts'
import { StatementCache } from './statement-cache.ts'
import { ParamNamer } from '../query/filter-sql.ts'
import { healthPolicy, runHealthSql, type HealthPolicy, type HealthSettings } from '../signals/health.ts'

export interface RunQuery {
  experimentIds?: string[]
  runIds?: string[]
  includeDeleted?: boolean
  /** With runIds: return the runs in that order (a search's order). */
  keepOrder?: boolean
}

export interface SeriesQuery {
  experimentIds?: string[]
  runIds?: string[]
  keys?: string[]
  /** `${runId}\u0000${key}` → position: only the points from there on (a resumed subscription). */
  after?: Map<string, number>
}

export interface Series extends SeriesColumns {
  runId: string
  key: string
  /** The series' position after these points (see `points.seq`). */
  cursor?: string
}

/** What stagePoints did in memory that writePoints has to store. */
interface StagedPoints {
  /** Each batch's series id. */
  ids: number[]
  newSeries: number[]
  touched: Set<number>
  /** Some touched series have no latest_metrics row yet. */
  newLatest: boolean
}

const UPSERT_LATEST_SQL = 'INSERT OR REPLACE INTO latest_metrics SELECT * FROM latest_metrics_stage'
const UPDATE_LATEST_SQL = `UPDATE latest_metrics l SET value = s.value, step = s.step, timestamp = s.timestamp, min_value = s.min_value,
  max_value = s.max_value, count = s.count, last_timestamp = s.last_timestamp FROM latest_metrics_stage s WHERE l.series_id = s.series_id`

/** What one applied batch changed, for the live hub. */
export interface AppliedChanges {
  changedRunIds: string[]
  removedRunIds: string[]
  batches: MetricBatch[]
  /** The batches went to onStaged before they were stored. */
  staged?: boolean
}

type Row = Record<string, unknown>

/**
 * A run's params or tags as one JSON object, keys in order: the same bytes
 * whatever the table's physical order (it is rewritten, clustered by key, after the scan).
 */
const KEY_ORDERED_OBJECT = `'{' || string_agg(to_json(t.key)::VARCHAR || ':' || to_json(t.value)::VARCHAR, ',' ORDER BY t.key) || '}'`

export interface IndexOptions {
  health?: Partial<HealthSettings>
  /** The clock run health is measured with (tests set it). */
  now?: () => number
}

export class RunIndex {
  private readonly idle: DuckDBConnection[] = []
  private readonly statements = new StatementCache()
  private readonly runExperiment = new Map<string, string>()
  /** `${runId}\u0000${key}` → series_id */
  private readonly seriesIds = new Map<string, number>()
  private readonly seriesNames = new Map<number, [runId: string, key: string]>()
  /** Param, tag and metric keys → their key_id (see KEYED_COLUMNS in schema.ts); never shrinks. */
  private readonly keyIds = new Map<string, number>()
  private readonly latest = new Map<number, LatestMetric>()
  /** Points per series so far: the next point's `seq`. */
  private readonly seriesLength = new Map<number, number>()
  /** Series whose points were not appended in (step, timestamp) order: their history needs a sort. */
  private readonly unordered = new Set<number>()
  /** run → how many points it has in all. */
  private readonly runPoints = new Map<string, number>()
  /** run → its series, in the order they were first seen. */
  private readonly runSeries = new Map<string, number[]>()
  private readonly runListeners: ((runIds: string[]) => void)[] = []
  private readonly scanHooks: (() => Promise<void>)[] = []
  private nextSeriesId = 1
  private applied = 0
  private pointCount = 0
  private bulkLoading = false
  private pendingBlocks = new Map<string, Block>()
  /** Series removed since the last flush: their blocks go with the next one (see flushBlocks). */
  private removedBlockSeries: number[] = []
  /** flushBlocks' own connection, and its flushes in flight, one after another. */
  private blockWriter?: DuckDBConnection
  private flushing: Promise<void> = Promise.resolve()
  /**
   * The coarsest block size kept per series: from the initial scan, what its
   * length warranted; for a series that appeared later, every size (its
   * blocks are folded from its first point on).
   */
  private readonly coarsestBlock = new Map<number, number>()
  private blocksReady = true
  /**
   * During the initial scan, run records, params, tags and latest metric
   * values stay in their stage tables until finishScan merges them at once
   * (see MERGE_DEFERRED_SQL); `clustered` records that the merge also
   * clustered the keyed ones. Nothing reads them before the ready line: the
   * hub serves subscriptions only once the scan is indexed.
   */
  private deferKeyed = false
  private clustered = false

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    /** How run summaries, filters and columns judge run health. */
    readonly health: HealthPolicy,
  ) {}

  static async open(options: IndexOptions = {}): Promise<RunIndex> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '2',
      // By default DuckDB flushes a thread's allocator cache only after a task that allocated 128 MB:
      // a server that answered many smaller queries (200 clients' snapshots) kept what they had used
      // (see also endBulkLoad). 200 idle subscribed clients: RSS growth 80–98 → 55–77 MB with this
      // alone, 36–37 MB with both; the initial index's peak unchanged.
      allocator_flush_threshold: '4MB',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    })
    const writer = await instance.connect()
    await writer.run(SCHEMA_SQL)
    return new RunIndex(instance, writer, healthPolicy(options.health, options.now))
  }

  /** Call it once flushBlocks has settled (RunningServer.close awaits the pipeline's last refresh). */
  close(): void {
    this.blockWriter?.closeSync()
    for (const c of this.idle) this.closeReader(c)
    this.writer.closeSync()
    this.instance.closeSync()
  }

  /**
   * Between these two calls (the initial scan) the coarse blocks are not kept
   * per batch: they are built once at the end, in one pass over the points,
   * after the keyed tables are clustered by key (see CLUSTER_BY_KEY_SQL).
   */
  beginBulkLoad(): void {
    this.bulkLoading = true
    this.blocksReady = false
    this.deferKeyed = true
    this.clustered = false
  }

  /**
   * The initial scan is in: its run records, params, tags and latest metric
   * values are merged into their tables (the keyed ones clustered by key).
   * Until then queries do not see them; the server calls this before it
   * counts as ready.
   */
  async finishScan(): Promise<void> {
    if (!this.deferKeyed) return
    await this.mergeDeferred()
    this.clustered = true
  }

  /** Writes what the scan deferred (also before the first change the deferral cannot hold, such as a removal). */
  private async mergeDeferred(): Promise<void> {
    if (!this.deferKeyed) return
    // Into the stage, like params and tags: the merge builds each table once.
    await this.writeLatest(this.latest.keys(), 'stage')
    this.deferKeyed = false
    await this.transaction(MERGE_DEFERRED_SQL)
    // The merge rebuilds the keyed tables.
    this.statements.renew()
  }

  private async transaction(sql: string): Promise<void> {
    await this.writer.run('BEGIN TRANSACTION')
    try {
      await this.writer.run(`${sql} COMMIT`)
    } catch (err) {
      await this.writer.run('ROLLBACK')
      throw err
    }
  }

  async endBulkLoad(): Promise<void> {
    if (!this.bulkLoading) return
    await this.finishScan()
    this.bulkLoading = false
    if (!this.clustered) {
      await this.transaction(CLUSTER_BY_KEY_SQL)
      this.statements.renew()
    }
    await this.writer.run('DELETE FROM point_blocks')
    await this.writer.run(BUILD_BLOCKS_SQL)
    const [ids = [], sizes = []] = await this.columns(COARSEST_BLOCKS_SQL, {}, 2)
    for (const id of this.seriesNames.keys()) this.coarsestBlock.set(id, FINEST_BLOCK)
    for (let i = 0; i < ids.length; i++) this.coarsestBlock.set(ids[i] as number, sizes[i] as number)
    // A hook only warms a cache: the index works the same without it.
    for (const hook of this.scanHooks) await hook().catch(() => undefined)
    // From now on freed memory goes back to the system within seconds, from a thread of DuckDB's
    // allocator: otherwise it is kept until the next allocation needs it, and a server that answered
    // a burst of queries (200 clients' snapshots: about 70 MB) stays that much larger while idle.
    // Not during the scan: returning and refaulting pages there cost about a second of CPU.
    await this.writer.run('SET allocator_background_threads = true')
    this.blocksReady = true
  }

  /**
   * Work for once the initial scan is indexed, such as warming a cache: run
   * at the end of endBulkLoad, before hasBlocks turns true, so the index
   * counts as settled after it.
   */
  afterInitialScan(hook: () => Promise<void>): void {
    this.scanHooks.push(hook)
  }

  /** Whether point_blocks covers every point (false while the initial scan's blocks are being built). */
  get hasBlocks(): boolean {
    return this.blocksReady
  }

  experimentOf(runId: string): string | undefined {
    return this.runExperiment.get(runId)
  }

  get points(): number {
    return this.pointCount
  }

  /** How many batches of events the index has taken in: the same number means nothing changed in between. */
  get changes(): number {
    return this.applied
  }

  get runs(): number {
    return this.runExperiment.size
  }

  /** Every run's id (of any lifecycle stage). */
  runIds(): string[] {
    return [...this.runExperiment.keys()]
  }

  /**
   * Calls `listener` with the runs whose record, params, tags or inputs
   * changed (or that were removed), once the change is committed. Points
   * alone do not count: latest metrics are read with latestMetrics().
   */
  onRunsChanged(listener: (runIds: string[]) => void): void {
    this.runListeners.push(listener)
  }

  /**
   * The series of `key` for these runs, with each one's position in `runIds`
   * and its coarsest block size (meaningful once hasBlocks).
   */
  seriesOf(runIds: string[], key: string): { series: number[]; positions: number[]; coarsest: number[] } {
    const out = { series: [] as number[], positions: [] as number[], coarsest: [] as number[] }
    runIds.forEach((runId, i) => {
      const id = this.seriesIds.get(seriesKey(runId, key))
      if (id === undefined) return
      out.series.push(id)
      out.positions.push(i)
      out.coarsest.push(this.coarsestBlock.get(id) ?? FINEST_BLOCK)
    })
    return out
  }

  /**
   * A series' id, and whether its points were stored in (step, timestamp)
   * order: then a scan returns its history in that order (DuckDB keeps
   * insertion order) and no sort is needed.
   */
  seriesOrder(runId: string, key: string): { id: number; inStepOrder: boolean } | undefined {
    const id = this.seriesIds.get(seriesKey(runId, key))
    return id === undefined ? undefined : { id, inStepOrder: !this.unordered.has(id) }
  }

  /** How many points a run has in all: it changes whenever one of its latest values may have. */
  pointsOf(runId: string): number {
    return this.runPoints.get(runId) ?? 0
  }

  /**
   * The smallest and largest step of these series and their points in all,
   * from memory (points count once staged, a moment before DuckDB holds them).
   */
  stepExtent(seriesIds: number[]): { lo: number; hi: number; count: number } {
    let lo = Infinity
    let hi = -Infinity
    let count = 0
    for (const id of seriesIds) {
      const l = this.latest.get(id)
      if (!l) continue
      lo = Math.min(lo, l.firstStep)
      hi = Math.max(hi, l.step)
      count += l.count
    }
    return { lo, hi, count }
  }

  /** A run's latest metric values, as in latest_metrics, from memory: no query. */
  latestMetrics(runId: string): [key: string, latest: LatestMetric][] {
    const out: [string, LatestMetric][] = []
    for (const id of this.runSeries.get(runId) ?? []) {
      const latest = this.latest.get(id)
      if (latest) out.push([this.seriesNames.get(id)![1], latest])
    }
    return out
  }

  // ---- writes ---------------------------------------------------------------

  /**
   * Applies a batch of store events. When the batch holds only points,
   * `onStaged` gets them as soon as their positions are known, before they
   * are stored: the live hub sends them without waiting for DuckDB.
   */
  async apply(events: StoreEvent[], onStaged?: (batches: MetricBatch[]) => void): Promise<AppliedChanges> {
    this.applied++
    const experiments = new Map<string, ExperimentRecord>()
    const runs = new Map<string, RunRecord>()
    const params = new Map<string, [string, string, string]>()
    const tags = new Map<string, [string, string, string]>()
    const batches: MetricBatch[] = []
    const removed = new Set<string>()
    const removedTags: [string, string][] = []
    const experimentTags = new Map<string, Record<string, string>>()
    const removedExperiments = new Set<string>()
    const inputs = new Map<string, DatasetInput[]>()
    for (const e of events) {
      switch (e.type) {
        case 'experiment': experiments.set(e.experiment.experimentId, e.experiment); removedExperiments.delete(e.experiment.experimentId); break
        case 'experiment-tags': experimentTags.set(e.experimentId, e.values); break
        case 'experiment-removed': removedExperiments.add(e.experimentId); experiments.delete(e.experimentId); experimentTags.delete(e.experimentId); break
        case 'run': runs.set(e.run.runId, e.run); removed.delete(e.run.runId); break
        case 'params': for (const [k, v] of Object.entries(e.values)) params.set(`${e.runId}\u0000${k}`, [e.runId, k, v]); break
        case 'tags':
          for (const [k, v] of Object.entries(e.values)) tags.set(`${e.runId}\u0000${k}`, [e.runId, k, v])
          for (const k of e.removed ?? []) {
            tags.delete(`${e.runId}\u0000${k}`)
            removedTags.push([e.runId, k])
          }
          break
        case 'metrics': batches.push(e.batch); break
        case 'inputs': inputs.set(e.runId, e.inputs); break
        case 'run-removed': removed.add(e.runId); runs.delete(e.runId); inputs.delete(e.runId); break
      }
    }
    const w = this.writer
    // Removals act on the tables: what the scan deferred goes in first.
    if (this.deferKeyed && removed.size + removedTags.length + removedExperiments.size > 0) await this.mergeDeferred()
    // Points alone (the live case) need no transaction: one appender flush is atomic.
    const onlyPoints =
      experiments.size + runs.size + params.size + tags.size + removed.size + removedTags.length +
      experimentTags.size + removedExperiments.size + inputs.size === 0
    if (onlyPoints) {
      const staged = this.stagePoints(batches)
      if (batches.length > 0) onStaged?.(batches)
      await this.writePoints(batches, staged)
      return { changedRunIds: [], removedRunIds: [], batches, staged: onStaged !== undefined }
    }
    await w.run('BEGIN TRANSACTION')
    try {
      await this.upsert('experiments', experiments.values(), (a, x) => {
        a.appendVarchar(x.experimentId); a.appendVarchar(x.name); a.appendVarchar(x.artifactLocation)
        a.appendVarchar(x.lifecycleStage); appendMillis(a, x.creationTime); appendMillis(a, x.lastUpdateTime)
      })
      await this.upsert('runs', runs.values(), (a, r) => {
        a.appendVarchar(r.runId); a.appendVarchar(r.experimentId); a.appendVarchar(r.name); a.appendVarchar(r.status)
        appendMillis(a, r.startTime); appendMillis(a, r.endTime); a.appendVarchar(r.lifecycleStage)
        a.appendVarchar(r.userId); a.appendVarchar(r.artifactUri)
      }, !this.deferKeyed)
      const appendKeyValue = (a: DuckDBAppender, [run, k, v]: [string, string, string]) => {
        a.appendVarchar(run); a.appendVarchar(k); a.appendVarchar(v); a.appendInteger(this.keyId(k))
      }
      await this.upsert('params', params.values(), appendKeyValue, !this.deferKeyed)
      await this.upsert('tags', tags.values(), appendKeyValue, !this.deferKeyed)
      for (const [run, key] of removedTags) await w.run('DELETE FROM tags WHERE run_id = $run AND key = $key', { run, key })
      await this.replaceExperimentTags(experimentTags, removedExperiments)
      await this.replaceInputs(inputs)
      await this.appendPoints(batches)
      if (removed.size > 0) {
        const ids = { ids: listValue([...removed]) }
        await w.run('DELETE FROM points WHERE series_id IN (SELECT series_id FROM series WHERE list_contains($ids, run_id))', ids)
        for (const t of ['series', 'latest_metrics', 'runs', 'params', 'tags', 'run_inputs']) {
          await w.run(`DELETE FROM ${t} WHERE list_contains($ids, run_id)`, ids)
        }
      }
      await w.run('COMMIT')
    } catch (err) {
      await w.run('ROLLBACK')
      throw err
    }
    for (const r of runs.values()) this.runExperiment.set(r.runId, r.experimentId)
    for (const id of removed) this.runExperiment.delete(id)
    if (removed.size > 0) {
      const gone = new Set<number>()
      for (const [k, id] of this.seriesIds) {
        if (!removed.has(k.slice(0, k.indexOf('\u0000')))) continue
        gone.add(id)
        this.seriesIds.delete(k)
        this.seriesNames.delete(id)
        this.latest.delete(id)
        this.seriesLength.delete(id)
        this.coarsestBlock.delete(id)
        this.unordered.delete(id)
      }
      for (const id of removed) {
        this.runSeries.delete(id)
        this.runPoints.delete(id)
      }
      for (const [k, b] of this.pendingBlocks) if (gone.has(b.seriesId)) this.pendingBlocks.delete(k)
      this.removedBlockSeries.push(...gone)
    }
    const changed = new Set<string>(runs.keys())
    for (const [run] of params.values()) changed.add(run)
    for (const [run] of tags.values()) changed.add(run)
    for (const [run] of removedTags) changed.add(run)
    for (const run of inputs.keys()) changed.add(run)
    if (changed.size + removed.size > 0) for (const l of this.runListeners) l([...changed, ...removed])
    return { changedRunIds: [...changed], removedRunIds: [...removed], batches }
  }

  /** Each event carries an experiment's complete tag set: replace, don't merge. */
  private async replaceExperimentTags(byExperiment: Map<string, Record<string, string>>, removed: Set<string>): Promise<void> {
    const ids = [...byExperiment.keys(), ...removed]
    if (ids.length === 0) return
    await this.writer.run('DELETE FROM experiment_tags WHERE list_contains($ids, experiment_id)', { ids: listValue(ids) })
    if (removed.size > 0) await this.writer.run('DELETE FROM experiments WHERE list_contains($ids, experiment_id)', { ids: listValue([...removed]) })
    let a: DuckDBAppender | undefined
    for (const [id, values] of byExperiment) {
      for (const [k, v] of Object.entries(values)) {
        a ??= await this.writer.createAppender('experiment_tags')
        a.appendVarchar(id); a.appendVarchar(k); a.appendVarchar(v)
        a.endRow()
      }
    }
    a?.closeSync()
  }

  private async replaceInputs(byRun: Map<string, DatasetInput[]>): Promise<void> {
    if (byRun.size === 0) return
    await this.writer.run('DELETE FROM run_inputs WHERE list_contains($ids, run_id)', { ids: listValue([...byRun.keys()]) })
    const a = await this.writer.createAppender('run_inputs')
    for (const [run, list] of byRun) {
      for (const d of list) {
        a.appendVarchar(run); a.appendVarchar(d.name); a.appendVarchar(d.digest); a.appendVarchar(d.sourceType)
        if (d.context === null) a.appendNull()
        else a.appendVarchar(d.context)
        a.endRow()
      }
    }
    a.closeSync()
  }

  private async appendPoints(batches: MetricBatch[]): Promise<void> {
    await this.writePoints(batches, this.stagePoints(batches))
  }

  /**
   * The in-memory part of new points, synchronous: series ids (each batch's,
   * looked up once), each batch's position in its series (firstSeq), latest
   * values, overview blocks. Once it returns the batches can be published,
   * before writePoints stores them.
   */
  private stagePoints(batches: MetricBatch[]): StagedPoints {
    const staged: StagedPoints = { ids: [], newSeries: [], touched: new Set(), newLatest: false }
    for (const b of batches) {
      const k = seriesKey(b.runId, b.key)
      const known = this.seriesIds.get(k)
      if (known !== undefined) {
        staged.ids.push(known)
        continue
      }
      const id = this.nextSeriesId++
      staged.ids.push(id)
      this.seriesIds.set(k, id)
      this.seriesNames.set(id, [b.runId, b.key])
      const ofRun = this.runSeries.get(b.runId)
      if (ofRun) ofRun.push(id)
      else this.runSeries.set(b.runId, [id])
      // Blocks of a series seen during the initial scan are sized when the scan ends.
      if (!this.bulkLoading) this.coarsestBlock.set(id, BLOCK_SIZES.at(-1)!)
      staged.newSeries.push(id)
    }
    this.trackStepOrder(batches, staged.ids)
    for (let j = 0; j < batches.length; j++) {
      const b = batches[j]!
      const id = staged.ids[j]!
      const before = this.latest.get(id)
      if (!before) staged.newLatest = true
      const next = foldPoints(before, b.step, b.timestamp, b.value)
      if (next) this.latest.set(id, next)
      staged.touched.add(id)
      // Live batches only collect their blocks; flushBlocks() writes them a few times a second.
      if (!this.bulkLoading) {
        const coarsest = this.coarsestBlock.get(id)!
        for (const size of BLOCK_SIZES) if (size <= coarsest) foldBlocks(this.pendingBlocks, id, size, b.step, b.value)
      }
      b.firstSeq = this.seriesLength.get(id) ?? 0
      this.seriesLength.set(id, b.firstSeq + b.value.length)
      this.pointCount += b.value.length
      this.runPoints.set(b.runId, (this.runPoints.get(b.runId) ?? 0) + b.value.length)
    }
    return staged
  }

  /** Stores staged points: new series, the touched latest_metrics rows, the points (columnar, see point-columns.ts). */
  private async writePoints(batches: MetricBatch[], staged: StagedPoints): Promise<void> {
    if (batches.length === 0) return
    if (staged.newSeries.length > 0) {
      const a = await this.writer.createAppender('series')
      for (const id of staged.newSeries) {
        const [runId, key] = this.seriesNames.get(id)!
        a.appendInteger(id); a.appendVarchar(runId); a.appendVarchar(key)
        a.endRow()
      }
      a.closeSync()
    }
    // During the scan, finishScan writes every series' latest values once.
    if (!this.deferKeyed) await this.writeLatest(staged.touched, staged.newLatest ? 'upsert' : 'update')
    const a = await this.writer.createAppender('points')
    appendPointColumns(a, pointColumns(batches, staged.ids))
    a.closeSync()
  }

  /** Marks the series whose new points come before their previous one by (step, timestamp). */
  private trackStepOrder(batches: MetricBatch[], ids: number[]): void {
    // Until a series is marked, its latest value is its last point (MLflow's latest is the largest (step, timestamp)).
    const last = new Map<number, [step: number, timestamp: number]>()
    for (let j = 0; j < batches.length; j++) {
      const b = batches[j]!
      const id = ids[j]!
      if (this.unordered.has(id)) continue
      const latest = this.latest.get(id)
      let [step, timestamp] = last.get(id) ?? (latest ? [latest.step, latest.timestamp] : [-Infinity, -Infinity])
      for (let i = 0; i < b.step.length; i++) {
        const s = b.step[i]!
        const t = b.timestamp[i]!
        // Written so that NaN counts as out of order.
        if (!(s > step || (s === step && t >= timestamp))) {
          this.unordered.add(id)
          break
        }
        step = s
        timestamp = t
      }
      last.set(id, [step, timestamp])
    }
  }

  /**
   * Writes these series' latest values from memory into the stage, then into
   * latest_metrics: 'update' when every row exists already (while runs train;
   * half the cost of INSERT OR REPLACE), 'stage' leaves them for a merge.
   */
  private async writeLatest(ids: Iterable<number>, merge: 'upsert' | 'update' | 'stage'): Promise<void> {
    const a = await this.writer.createAppender('latest_metrics_stage')
    for (const id of ids) {
      const l = this.latest.get(id)!
      const [runId, key] = this.seriesNames.get(id)!
      a.appendInteger(id); a.appendVarchar(runId); a.appendVarchar(key)
      a.appendDouble(l.value); a.appendDouble(l.step); a.appendDouble(l.timestamp)
      appendNumber(a, l.min); appendNumber(a, l.max); a.appendBigInt(BigInt(l.count)); a.appendDouble(l.lastTimestamp)
      a.appendInteger(this.keyId(key))
      a.endRow()
    }
    a.closeSync()
    if (merge === 'stage') return
    await this.writer.run(`${merge === 'upsert' ? UPSERT_LATEST_SQL : UPDATE_LATEST_SQL}; DELETE FROM latest_metrics_stage`)
  }

  /** The key_id of a param, tag or metric key, given on first use. */
  private keyId(key: string): number {
    let id = this.keyIds.get(key)
    if (id === undefined) this.keyIds.set(key, (id = this.keyIds.size))
    return id
  }

  /**
   * Writes the blocks collected from live batches, and drops those of removed
   * series. Only this writes point_blocks once the initial scan's blocks are
   * built, on a connection of its own and not on the serial queue: its merge
   * (15 ms and more) no longer holds up the points behind it. Flushes run one
   * after another; a series query reads blocks as of its snapshot either way.
   */
  flushBlocks(): Promise<void> {
    const flush = this.flushing.then(() => this.writeBlocks())
    this.flushing = flush.catch(() => undefined)
    return flush
  }

  private async writeBlocks(): Promise<void> {
    if (this.pendingBlocks.size === 0 && this.removedBlockSeries.length === 0) return
    const blocks = this.pendingBlocks
    const removed = this.removedBlockSeries
    this.pendingBlocks = new Map()
    this.removedBlockSeries = []
    const c = (this.blockWriter ??= await this.instance.connect())
    if (blocks.size > 0) {
      const a = await c.createAppender('point_blocks_stage')
      for (const b of blocks.values()) {
        a.appendInteger(b.seriesId); a.appendInteger(b.size); a.appendInteger(b.block)
        a.appendDouble(b.firstX); a.appendDouble(b.firstV); a.appendDouble(b.lastX); a.appendDouble(b.lastV)
        appendNumber(a, b.minX); appendNumber(a, b.minV); appendNumber(a, b.maxX); appendNumber(a, b.maxV)
        a.appendInteger(b.n)
        a.endRow()
      }
      a.closeSync()
      await c.run(MERGE_BLOCKS_SQL)
    }
    // After the merge: a flush that was writing when the series went may have put some back.
    if (removed.length > 0) await c.run('DELETE FROM point_blocks WHERE list_contains($ids, series_id)', { ids: listValue(removed) })
  }

  private async upsert<T>(
    table: (typeof UPSERTED_TABLES)[number],
    rows: Iterable<T>,
    append: (a: DuckDBAppender, row: T) => void,
    /** false: the rows stay in the stage table for finishScan to merge. */
    merge = true,
  ): Promise<void> {
    let a: DuckDBAppender | undefined
    for (const row of rows) {
      a ??= await this.writer.createAppender(`${table}_stage`)
      append(a, row)
      a.endRow()
    }
    if (!a) return
    a.closeSync()
    if (merge) await this.writer.run(`INSERT OR REPLACE INTO ${table} SELECT * FROM ${table}_stage; DELETE FROM ${table}_stage`)
  }

  /** Refreshes a table derived from the index (not store data); call it on the serial queue, like apply. */
  async write(sql: string, values: Record<string, unknown> = {}): Promise<void> {
    await this.writer.run(sql, values as never)
  }

  // ---- reads ----------------------------------------------------------------

  /** The key_id a query selects a key's rows by; -1, which no row has, for a key never seen. */
  knownKeyId(key: string): number {
    return this.keyIds.get(key) ?? -1
  }

  /** A connection of the caller's own, for work that keeps temporary tables; the caller closes it. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect()
  }

  private async read<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = this.idle.pop() ?? (await this.instance.connect())
    try {
      return await fn(conn)
    } finally {
      if (this.idle.length < 4) this.idle.push(conn)
      else this.closeReader(conn)
    }
  }

  private closeReader(c: DuckDBConnection): void {
    this.statements.forget(c)
    c.closeSync()
  }

  /** Row objects of a read query (BIGINT must be cast in SQL). */
  rows(sql: string, values: Record<string, unknown> = {}): Promise<Row[]> {
    return this.read(async (c) => (await (await this.statements.bound(c, sql, values)).runAndReadAll()).getRowObjectsJS() as Row[])
  }

  /** Columns of a read query; an empty result has empty columns. */
  columns<N extends number>(sql: string, values: Record<string, unknown>, count: N): Promise<unknown[][] & { length: N }> {
    return this.read(async (c) => {
      const cols = (await (await this.statements.bound(c, sql, values)).runAndReadAll()).getColumnsJS() as unknown[][]
      return Array.from({ length: count }, (_, i) => cols[i] ?? []) as unknown[][] & { length: N }
    })
  }

  /**
   * Numeric columns of a read query (DOUBLE or INTEGER; NULL reads as NaN),
   * copied straight from DuckDB's vectors: no value objects and no per-value
   * conversion, several times faster than columns() on 100,000 rows.
   */
  async numberColumns(sql: string, values: Record<string, unknown>, count: number): Promise<Float64Array[]> {
    let out: Float64Array[] = []
    await this.numberChunks(sql, values, count, (columns, rows, offset, total) => {
      if (offset === 0) out = columns.map(() => new Float64Array(total))
      columns.forEach((c, j) => out[j]!.set(c.subarray(0, rows), offset))
    })
    return out.length > 0 ? out : Array.from({ length: count }, () => new Float64Array(0))
  }

  /**
   * The same numbers one chunk (2,048 rows) at a time, in buffers reused from
   * chunk to chunk: a caller that folds rows as they come allocates nothing
   * per row.
   */
  numberChunks(
    sql: string, values: Record<string, unknown>, count: number,
    visit: (columns: Float64Array[], rows: number, offset: number, total: number) => void,
  ): Promise<void> {
    return this.read(async (c) => {
      const result = await (await this.statements.bound(c, sql, values)).run()
      let columns = Array.from({ length: count }, () => new Float64Array(CHUNK_ROWS))
      let offset = 0
      for (let k = 0; k < result.chunkCount; k++) {
        const chunk = result.getChunk(k)
        const rows = chunk.rowCount
        if (rows > CHUNK_ROWS) columns = Array.from({ length: count }, () => new Float64Array(rows))
        for (let j = 0; j < count; j++) {
          const vector = chunk.getColumnVector(j)
          const column = columns[j]!
          if (!copyFromVector(vector, column, rows)) for (let i = 0; i < rows; i++) column[i] = (vector.getItem(i) as number | null) ?? NaN
        }
        visit(columns, rows, offset, result.rowCount)
        offset += rows
      }
    })
  }

  async experiments(): Promise<ExperimentSummary[]> {
    const rows = await this.rows(`
      SELECT e.experiment_id, e.name, e.lifecycle_stage,
             e.creation_time::DOUBLE AS creation_time, e.last_update_time::DOUBLE AS last_update_time,
             count(r.run_id)::INTEGER AS run_count,
             coalesce(count_if(r.status = 'RUNNING'), 0)::INTEGER AS running_count,
             max(r.start_time)::DOUBLE AS last_run_start
      FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.experiment_id AND r.lifecycle_stage = 'active'
      WHERE e.lifecycle_stage = 'active'
      GROUP BY ALL ORDER BY e.name`)
    const tags = await this.rows('SELECT experiment_id, key, value FROM experiment_tags')
    const tagsOf = new Map<string, Record<string, string>>()
    for (const t of tags) {
      const values = tagsOf.get(t.experiment_id as string) ?? {}
      values[t.key as string] = t.value as string
      tagsOf.set(t.experiment_id as string, values)
    }
    return rows.map((r) => ({
      experimentId: r.experiment_id as string,
      tags: tagsOf.get(r.experiment_id as string) ?? {},
      name: r.name as string,
      lifecycleStage: r.lifecycle_stage as ExperimentSummary['lifecycleStage'],
      creationTime: r.creation_time as number | null,
      lastUpdateTime: r.last_update_time as number | null,
      runCount: r.run_count as number,
      runningCount: r.running_count as number,
      lastRunStart: r.last_run_start as number | null,
    }))
  }

  /** Runs with their params, tags and latest metrics (MLflow's latest: max of (step, timestamp, value)). */
  async runSummaries(q: RunQuery = {}): Promise<RunSummary[]> {
    const { where, values } = runWhere(q, 'r')
    const [ids = [], exps = [], names = [], statuses = [], starts = [], ends = [], stages = [], users = [], uris = []] = (await this.columns(
      `SELECT run_id, experiment_id, name, status, start_time::DOUBLE, end_time::DOUBLE, lifecycle_stage, user_id, artifact_uri
       FROM runs r WHERE ${where} ORDER BY start_time DESC NULLS LAST, run_id`,
      values,
      9,
    )) as [string[], string[], string[], RunSummary['status'][], (number | null)[], (number | null)[], RunSummary['lifecycleStage'][], string[], string[]]
    if (ids.length === 0) return []
    const byId = new Map<string, RunSummary>()
    for (let i = 0; i < ids.length; i++) {
      byId.set(ids[i]!, {
        runId: ids[i]!, experimentId: exps[i]!, name: names[i]!, status: statuses[i]!, startTime: starts[i]!, endTime: ends[i]!,
        lifecycleStage: stages[i]!, userId: users[i]!, artifactUri: uris[i]!, params: {}, tags: {}, metrics: {},
      })
    }
    // Rows name their run by its position in `ids`: an integer instead of a 32-character string per row.
    // A hash join on the id list: list_contains per row would compare each row with every id.
    const scope = { ids: listValue(ids) }
    const wanted = `(SELECT unnest($ids) AS run_id, (generate_subscripts($ids, 1) - 1)::INTEGER AS at) w`
    const health = new ParamNamer('h')
    const healthOf = runHealthSql(this.health, (v) => health.add(v), 'hr.run_id IN (SELECT unnest($ids))', 'SELECT unnest($ids)')
    const [params, tags, inputs, latest, healths] = await Promise.all([
      // One JSON object per run instead of a string pair per row: strings are decoded one by one in JS.
      this.columns(`SELECT w.at, ${KEY_ORDERED_OBJECT} FROM params t JOIN ${wanted} USING (run_id) GROUP BY w.at`, scope, 2),
      this.columns(`SELECT w.at, ${KEY_ORDERED_OBJECT} FROM tags t JOIN ${wanted} USING (run_id) GROUP BY w.at`, scope, 2),
      this.columns(`SELECT w.at, t.name, t.digest, t.source_type, t.context FROM run_inputs t JOIN ${wanted} USING (run_id) ORDER BY 1, 2`, scope, 5),
      this.columns(`SELECT w.at, t.key, t.value, t.step, t.timestamp FROM latest_metrics t JOIN ${wanted} USING (run_id)`, scope, 5),
      this.columns(`SELECT w.at, t.health FROM (${healthOf}) t JOIN ${wanted} USING (run_id)`, { ...scope, ...health.params }, 2),
    ])
    const summaries = [...byId.values()]
    for (const [target, [at, json]] of [['params', params], ['tags', tags]] as const) {
      for (let i = 0; i < at!.length; i++) summaries[at![i] as number]![target] = JSON.parse(json![i] as string) as Record<string, string>
    }
    const [iAt, iName, iDigest, iType, iContext] = inputs
    for (let i = 0; i < iAt!.length; i++) {
      const summary = summaries[iAt![i] as number]!
      ;(summary.inputs ??= []).push({ name: iName![i] as string, digest: iDigest![i] as string, sourceType: iType![i] as string, context: iContext![i] as string | null })
    }
    const [mAt, mKey, mValue, mStep, mTime] = latest
    for (let i = 0; i < mAt!.length; i++) {
      summaries[mAt![i] as number]!.metrics[mKey![i] as string] = { value: toWire(mValue![i] as number), step: mStep![i] as number, timestamp: mTime![i] as number }
    }
    const [hAt, hValue] = healths
    for (let i = 0; i < hAt!.length; i++) summaries[hAt![i] as number]!.health = hValue![i] as RunSummary['health']
    if (q.runIds && q.keepOrder) return q.runIds.flatMap((id) => byId.get(id) ?? [])
    return summaries
  }

  /** Bytes DuckDB holds now (tables, indexes, buffers): the index's share of the process's memory. */
  async memoryBytes(): Promise<number> {
    const [[bytes = 0] = []] = (await this.columns('SELECT sum(memory_usage_bytes)::DOUBLE FROM duckdb_memory()', {}, 1)) as [number[]]
    return bytes
  }

  /** The runs' health now (one query; runs without points are 'ok' or absent). */
  async healthOf(runIds: string[]): Promise<Map<string, RunHealth>> {
    const out = new Map<string, RunHealth>()
    if (runIds.length === 0) return out
    const health = new ParamNamer('h')
    const sql = runHealthSql(this.health, (v) => health.add(v), 'hr.run_id IN (SELECT unnest($ids))', 'SELECT unnest($ids)')
    const [ids = [], values = []] = await this.columns(`SELECT t.run_id, t.health FROM (${sql}) t`, { ids: listValue(runIds), ...health.params }, 2)
    for (let i = 0; i < ids.length; i++) out.set(ids[i] as string, values[i] as RunHealth)
    return out
  }

  async metricHistory(runId: string, key: string): Promise<MetricHistoryResponse> {
    const [series] = await this.series({ runIds: [runId], keys: [key] })
    return { runId, key, step: series?.step ?? [], timestamp: series?.timestamp ?? [], value: series?.value ?? [] }
  }

  /**
   * How many points each run's series of `key` holds now: the live-cursor
   * positions from which a client that loaded the series by query continues.
   */
  positions(runIds: string[], key: string): Map<string, number> {
    const out = new Map<string, number>()
    for (const runId of runIds) {
      const id = this.seriesIds.get(seriesKey(runId, key))
      if (id !== undefined) out.set(seriesKey(runId, key), this.seriesLength.get(id) ?? 0)
    }
    return out
  }

  /** Every point of the matching series, ordered by step then timestamp, one entry per (run, key). */
  async series(q: SeriesQuery): Promise<Series[]> {
    const { where, values } = runWhere(q, 'r')
    if (q.keys?.length === 0) return []
    const keyClause = q.keys ? 'AND list_contains($keys, s.key)' : ''
    // Resuming from positions: the points at or past them, in store order (a series without a
    // position from its first point); otherwise whole series by step. The positions are applied in
    // SQL: a chart of 100 runs × 100,000 points resuming from its query's cursor read all 10 million
    // points here and dropped them in JS, blocking the event loop (no new connection accepted) for 20-50 s.
    const from = { series: [] as number[], seq: [] as number[] }
    for (const [key, seq] of q.after ?? []) {
      const id = this.seriesIds.get(key)
      if (id === undefined) continue
      from.series.push(id)
      from.seq.push(seq)
    }
    const resume = from.series.length > 0
    const order = q.after ? 'p.seq' : 'p.step, p.timestamp'
    const [runIds = [], keys = [], steps = [], timestamps = [], vals = [], seqs = []] = (await this.columns(
      `SELECT s.run_id, s.key, p.step, p.timestamp, p.value, p.seq
       FROM points p JOIN series s USING (series_id) JOIN runs r USING (run_id)
       ${resume ? 'LEFT JOIN (SELECT unnest($fromSeries)::INTEGER AS series_id, unnest($fromSeq)::INTEGER AS seq) f ON f.series_id = p.series_id' : ''}
       WHERE ${where} ${keyClause} ${resume ? 'AND p.seq >= coalesce(f.seq, 0)' : ''}
       ORDER BY s.run_id, s.key, ${order}`,
      { ...values, ...(q.keys ? { keys: listValue(q.keys) } : {}), ...(resume ? { fromSeries: listValue(from.series), fromSeq: listValue(from.seq) } : {}) },
      6,
    )) as [string[], string[], number[], number[], number[], number[]]
    const out: Series[] = []
    const all: (Series & { next: number })[] = []
    let current: (Series & { next: number }) | undefined
    for (let i = 0; i < runIds.length; i++) {
      if (!current || current.runId !== runIds[i] || current.key !== keys[i]) {
        current = { runId: runIds[i]!, key: keys[i]!, step: [], timestamp: [], value: [], next: 0 }
        all.push(current)
      }
      const seq = seqs[i]!
      current.next = Math.max(current.next, seq + 1)
      current.step.push(steps[i]!)
      current.timestamp.push(timestamps[i]!)
      current.value.push(toWire(vals[i]!))
    }
    for (const { next, ...series } of all) out.push({ ...series, cursor: String(next) })
    return out
  }
}

/** A series' identity: the same key as the live cursors' positions. */
const seriesKey = positionKey

function appendNumber(a: DuckDBAppender, v: number): void {
  if (Number.isNaN(v)) a.appendNull()
  else a.appendDouble(v)
}

function appendMillis(a: DuckDBAppender, v: number | null): void {
  if (v === null) a.appendNull()
  else a.appendBigInt(BigInt(Math.trunc(v)))
}

function runWhere(q: RunQuery, alias: string): { where: string; values: Record<string, unknown> } {
  const clauses: string[] = []
  const values: Record<string, unknown> = {}
  if (!q.includeDeleted) clauses.push(`${alias}.lifecycle_stage = 'active'`)
  for (const [name, column] of [['experimentIds', 'experiment_id'], ['runIds', 'run_id']] as const) {
    const ids = q[name]
    if (!ids) continue
    // An empty list matches nothing (and DuckDB cannot type an empty list parameter).
    if (ids.length === 0) clauses.push('false')
    else {
      clauses.push(`list_contains($${name}, ${alias}.${column})`)
      values[name] = listValue(ids)
    }
  }
  return { where: clauses.length ? clauses.join(' AND ') : 'true', values }
}
