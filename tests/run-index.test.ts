import { listValue } from '@duckdb/node-api'
import { afterEach, describe, expect, it } from 'vitest'
import type { MetricBatch, RunRecord, StoreEvent } from '../ingest-watch/events.ts'
import { RunIndex } from '../server/index/run-index.ts'
import { RunSummaryCache } from '../server/index/summary-cache.ts'

const open: RunIndex[] = []
afterEach(() => open.splice(0).forEach((i) => i.close()))
async function index(): Promise<RunIndex> {
  const i = await RunIndex.open()
  open.push(i)
  return i
}

const run = (runId: string, over: Partial<RunRecord> = {}): StoreEvent => ({
  type: 'run',
  run: {
    runId, experimentId: '427061849284301234', name: runId, status: 'RUNNING', startTime: 1, endTime: null,
    lifecycleStage: 'active', userId: 'u', artifactUri: '', ...over,
  },
})
const metrics = (runId: string, key: string, rows: [ts: number, value: number, step: number][]): StoreEvent => ({
  type: 'metrics',
  batch: {
    runId, key,
    timestamp: Float64Array.from(rows.map((r) => r[0])),
    value: Float64Array.from(rows.map((r) => r[1])),
    step: Float64Array.from(rows.map((r) => r[2])),
  } satisfies MetricBatch,
})

describe('DuckDB run index', () => {
  it('keeps 18-digit experiment ids exact and counts runs per experiment', async () => {
    const idx = await index()
    await idx.apply([
      { type: 'experiment', experiment: { experimentId: '427061849284301234', name: 'e', artifactLocation: '', lifecycleStage: 'active', creationTime: 5, lastUpdateTime: 5 } },
      run('a', { startTime: 10 }), run('b', { startTime: 20, status: 'FINISHED' }),
    ])
    expect(await idx.experiments()).toEqual([
      { experimentId: '427061849284301234', name: 'e', lifecycleStage: 'active', creationTime: 5, lastUpdateTime: 5, runCount: 2, runningCount: 1, lastRunStart: 20, tags: {} },
    ])
    await idx.apply([{ type: 'experiment-tags', experimentId: '427061849284301234', values: { team: 'a', kind: 'b' } }])
    await idx.apply([{ type: 'experiment-tags', experimentId: '427061849284301234', values: { team: 'c' } }])
    expect((await idx.experiments())[0]!.tags).toEqual({ team: 'c' })
    await idx.apply([{ type: 'experiment-removed', experimentId: '427061849284301234' }])
    expect(await idx.experiments()).toEqual([])
  })

  it("takes MLflow's latest value: the largest (step, timestamp, value), NaN included", async () => {
    const idx = await index()
    await idx.apply([run('a'), metrics('a', 'loss', [[10, 0.5, 1], [5, NaN, 2], [4, 9, 2], [100, 1, -1]])])
    await idx.apply([metrics('a', 'acc', [[1, 0.1, 0]]), metrics('a', 'acc', [[2, 0.2, 0]])])
    const [summary] = await idx.runSummaries()
    expect(summary!.metrics).toEqual({ loss: { value: 'NaN', step: 2, timestamp: 5 }, acc: { value: 0.2, step: 0, timestamp: 2 } })
  })

  it('applies later events over earlier ones: status, params, tags; removal drops everything', async () => {
    const idx = await index()
    await idx.apply([run('a'), { type: 'params', runId: 'a', values: { lr: '0.1' } }, { type: 'tags', runId: 'a', values: { t: 'x' } }])
    const changes = await idx.apply([run('a', { status: 'FINISHED', endTime: 9 }), { type: 'tags', runId: 'a', values: { t: 'y', u: '1' } }])
    expect(changes.changedRunIds).toEqual(['a'])
    const [a] = await idx.runSummaries()
    expect(a).toMatchObject({ status: 'FINISHED', endTime: 9, params: { lr: '0.1' }, tags: { t: 'y', u: '1' } })
    await idx.apply([
      { type: 'tags', runId: 'a', values: {}, removed: ['t'] },
      { type: 'inputs', runId: 'a', inputs: [{ name: 'train', digest: 'd1', sourceType: 'local', context: 'training' }] },
    ])
    const [b] = await idx.runSummaries()
    expect(b!.tags).toEqual({ u: '1' })
    expect(b!.inputs).toEqual([{ name: 'train', digest: 'd1', sourceType: 'local', context: 'training' }])
    await idx.apply([metrics('a', 'loss', [[1, 1, 0]]), { type: 'run-removed', runId: 'a' }])
    expect(await idx.runSummaries()).toEqual([])
    expect((await idx.metricHistory('a', 'loss')).step).toEqual([])
    expect(idx.experimentOf('a')).toBeUndefined()
  })

  it('indexes what the initial scan sent as a live index would: later records win, a removal mid-scan holds', async () => {
    const idx = await index()
    idx.beginBulkLoad()
    await idx.apply([run('a'), { type: 'params', runId: 'a', values: { lr: '0.1' } }, run('b'), metrics('a', 'loss', [[1, 2, 0], [2, 1, 1]]), metrics('b', 'loss', [[1, 8, 0]])])
    await idx.apply([run('a', { status: 'FINISHED', endTime: 9 }), run('c'), metrics('c', 'loss', [[1, 5, 0]])])
    // Points alone, as most of a scan's batches are.
    await idx.apply([metrics('c', 'loss', [[2, 4, 1]])])
    await idx.apply([{ type: 'run-removed', runId: 'b' }, run('d'), metrics('a', 'acc', [[3, 0.5, 2]])])
    await idx.apply([run('d', { status: 'FAILED' }), metrics('d', 'loss', [[1, 7, 0]])])
    await idx.finishScan()
    const summaries = (await idx.runSummaries()).sort((x, y) => x.runId.localeCompare(y.runId))
    expect(summaries.map((r) => [r.runId, r.status])).toEqual([['a', 'FINISHED'], ['c', 'RUNNING'], ['d', 'FAILED']])
    expect(summaries[0]).toMatchObject({ endTime: 9, params: { lr: '0.1' }, metrics: { loss: { value: 1, step: 1 }, acc: { value: 0.5, step: 2 } } })
    expect((await idx.metricHistory('d', 'loss')).value).toEqual([7])
    // Every point sent during the scan is stored once it is finished, and the removed run's are gone.
    expect((await idx.metricHistory('a', 'loss')).value).toEqual([2, 1])
    expect((await idx.metricHistory('c', 'loss')).value).toEqual([5, 4])
    expect((await idx.columns('SELECT count(*)::DOUBLE FROM points', {}, 1))[0]).toEqual([6])
    await idx.endBulkLoad()
    // Series that appear after the scan are indexed as before.
    await idx.apply([run('e'), metrics('e', 'loss', [[1, 3, 0]])])
    expect((await idx.metricHistory('e', 'loss')).value).toEqual([3])
    expect((await idx.runSummaries()).map((r) => r.runId).sort()).toEqual(['a', 'c', 'd', 'e'])
  })

  it('keeps the overview blocks of live points, and drops a removed run\'s even while a flush is writing', async () => {
    const idx = await index()
    const blocksOf = async (runId: string) =>
      (await idx.columns('SELECT count(*)::DOUBLE FROM point_blocks b JOIN series s USING (series_id) WHERE s.run_id = $run', { run: runId }, 1))[0]![0] as number
    idx.beginBulkLoad()
    await idx.endBulkLoad()
    await idx.apply([run('a'), run('b'), metrics('a', 'loss', [[1, 1, 0], [2, 2, 1]]), metrics('b', 'loss', [[1, 1, 0]])])
    await idx.flushBlocks()
    expect(await blocksOf('a')).toBeGreaterThan(0)
    // New points for a, then a flush that starts before a is removed.
    await idx.apply([metrics('a', 'loss', [[3, 3, 2]])])
    const seriesOfA = idx.seriesOf(['a'], 'loss').series
    const flushing = idx.flushBlocks()
    await idx.apply([{ type: 'run-removed', runId: 'a' }])
    await flushing
    await idx.flushBlocks()
    const [left] = await idx.columns('SELECT count(*)::DOUBLE FROM point_blocks WHERE list_contains($ids, series_id)', { ids: listValue(seriesOfA) }, 1)
    expect(left).toEqual([0])
    expect(await blocksOf('b')).toBeGreaterThan(0)
  })

  it('returns a metric history in step order, columnar, with non-finite values as strings', async () => {
    const idx = await index()
    await idx.apply([run('a'), metrics('a', 'loss', [[3, Infinity, 2], [1, 1, 0], [2, -Infinity, 1]])])
    expect(await idx.metricHistory('a', 'loss')).toEqual({ runId: 'a', key: 'loss', step: [0, 1, 2], timestamp: [1, 2, 3], value: [1, '-Infinity', 'Infinity'] })
  })

  it('hides deleted runs unless asked', async () => {
    const idx = await index()
    await idx.apply([run('a'), run('b', { lifecycleStage: 'deleted' })])
    expect((await idx.runSummaries()).map((r) => r.runId)).toEqual(['a'])
    expect((await idx.runSummaries({ includeDeleted: true })).map((r) => r.runId).sort()).toEqual(['a', 'b'])
    expect(await idx.runSummaries({ experimentIds: [] })).toEqual([])
  })

  it('gives live summaries equal to a fresh read, after points, status, params, tags and a NaN', async () => {
    const idx = await index()
    const cache = new RunSummaryCache(idx)
    const fresh = async () => (await idx.runSummaries({ runIds: ['a', 'b'], includeDeleted: true })).sort((x, y) => x.runId.localeCompare(y.runId))
    const cached = async () => (await cache.summaries(['a', 'b'])).sort((x, y) => x.runId.localeCompare(y.runId))
    await idx.apply([run('a'), run('b'), { type: 'params', runId: 'a', values: { lr: '0.1' } }, metrics('a', 'loss', [[1, 2, 0]])])
    expect(await cached()).toEqual(await fresh())
    await idx.apply([metrics('a', 'loss', [[2, 1, 1]]), metrics('b', 'acc', [[2, 0.5, 0]])])
    expect(await cached()).toEqual(await fresh())
    await idx.apply([run('a', { status: 'FINISHED', endTime: 9 }), { type: 'tags', runId: 'b', values: { t: 'y' } }, { type: 'params', runId: 'a', values: { opt: 'adam' } }])
    await idx.apply([metrics('a', 'loss', [[3, NaN, 2]])])
    const after = await cached()
    expect(after).toEqual(await fresh())
    expect(after[0]).toMatchObject({ status: 'FINISHED', params: { lr: '0.1', opt: 'adam' }, metrics: { loss: { value: 'NaN', step: 2 } }, health: 'diverged' })
    expect(after[1]!.tags).toEqual({ t: 'y' })
  })

  it('leaves out of prepared summaries the runs that changed after the read began, and takes latest values as of finish', async () => {
    const idx = await index()
    const cache = new RunSummaryCache(idx)
    await idx.apply([run('a'), run('b'), metrics('a', 'loss', [[1, 2, 0]]), metrics('b', 'loss', [[1, 2, 0]])])
    const prepared = await cache.prepare(['a', 'b'])
    // a's record changes (that change publishes a itself); b only gets a point.
    await idx.apply([run('a', { status: 'FINISHED', endTime: 9 }), metrics('b', 'loss', [[2, 1, 1]])])
    // A later read (an overlapping refresh) keeps a's new record meanwhile.
    expect((await cache.summaries(['a']))[0]).toMatchObject({ status: 'FINISHED', endTime: 9 })
    const out = prepared.finish()
    expect(out.map((r) => r.runId)).toEqual(['b'])
    expect(out[0]!.metrics).toEqual({ loss: { value: 1, step: 1, timestamp: 2 } })
  })

  it('reads number columns exactly across chunks, NULL as NaN, doubles and integers alike', async () => {
    const idx = await index()
    const n = 5_000
    const [doubles, withNulls, integers] = await idx.numberColumns(
      'SELECT i / 8, CASE WHEN i % 3 = 0 OR i > 4000 THEN NULL ELSE -i END::DOUBLE, (i - 100)::INTEGER FROM range(5000) t(i) ORDER BY i',
      {},
      3,
    )
    expect(Array.from(doubles!)).toEqual(Array.from({ length: n }, (_, i) => i / 8))
    expect(Array.from(withNulls!)).toEqual(Array.from({ length: n }, (_, i) => (i % 3 === 0 || i > 4000 ? NaN : -i)))
    expect(Array.from(integers!)).toEqual(Array.from({ length: n }, (_, i) => i - 100))
  })

  it('knows the step extent and point count of series from memory, points in any order', async () => {
    const idx = await index()
    await idx.apply([run('a'), run('b'), metrics('a', 'loss', [[1, 1, 5], [2, 2, -3], [3, NaN, 9]]), metrics('b', 'loss', [[1, 1, 2]])])
    await idx.apply([metrics('a', 'loss', [[4, 1, 7]])])
    expect(idx.stepExtent(idx.seriesOf(['a'], 'loss').series)).toEqual({ lo: -3, hi: 9, count: 4 })
    expect(idx.stepExtent(idx.seriesOf(['a', 'b'], 'loss').series)).toEqual({ lo: -3, hi: 9, count: 5 })
  })

  it('resumes series from positions: only the points logged past each position, a series without one from its first point', async () => {
    const idx = await index()
    const loss = Array.from({ length: 1000 }, (_, s): [number, number, number] => [s, 1 / (s + 1), s])
    await idx.apply([run('a'), run('b'), metrics('a', 'loss', loss), metrics('b', 'loss', loss.slice(0, 10)), metrics('b', 'acc', [[1, 0.5, 0]])])
    const positions = idx.positions(['a', 'b'], 'loss')
    await idx.apply([metrics('a', 'loss', [[2000, 0.1, 1000], [2001, 0.09, 1001]])])
    const resumed = await idx.series({ runIds: ['a', 'b'], after: positions })
    // a: the two new points; b's loss had nothing new; b's acc, which the positions leave out, whole.
    expect(resumed.map((s) => [s.runId, s.key, s.step, s.cursor])).toEqual([
      ['a', 'loss', [1000, 1001], '1002'],
      ['b', 'acc', [0], '1'],
    ])
  })
})
