// Run health judged by the server, in DuckDB, with the clock in the test's hands.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { MetricBatch, RunRecord, StoreEvent } from '../ingest-watch/events.ts'
import type { RunsMessage, ServerMessage } from '../protocol/index.ts'
import { RunIndex, type IndexOptions } from '../server/index/run-index.ts'
import { LiveHub } from '../server/live/hub.ts'
import { parseFilter } from '../server/query/filter-grammar.ts'
import { parseOrderBy } from '../server/query/order-by.ts'
import { parseColumns, runColumns } from '../server/query/run-columns.ts'
import { searchRuns } from '../server/query/search.ts'
import { SerialQueue } from '../server/serial-queue.ts'
import { refreshCadence } from '../server/signals/cadence.ts'
import { HealthWatch } from '../server/signals/health-watch.ts'
import { waitFor } from './helpers/wait.ts'

const open: RunIndex[] = []
afterEach(() => open.splice(0).forEach((i) => i.close()))

const clock = { now: 0 }
async function index(options: IndexOptions = {}): Promise<RunIndex> {
  const i = await RunIndex.open({ now: () => clock.now, ...options })
  open.push(i)
  return i
}

const run = (runId: string, over: Partial<RunRecord> = {}): StoreEvent => ({
  type: 'run',
  run: { runId, experimentId: '1', name: runId, status: 'RUNNING', startTime: 0, endTime: null, lifecycleStage: 'active', userId: 'u', artifactUri: '', ...over },
})
/** Points [timestamp, value] at steps 0, 1, 2, … */
const metric = (runId: string, key: string, rows: [ts: number, value: number][], firstStep = 0): StoreEvent => ({
  type: 'metrics',
  batch: {
    runId, key,
    timestamp: Float64Array.from(rows.map((r) => r[0])),
    value: Float64Array.from(rows.map((r) => r[1])),
    step: Float64Array.from(rows.map((_, i) => firstStep + i)),
  } satisfies MetricBatch,
})
const every = (ms: number, n: number, from = 0): [number, number][] => Array.from({ length: n }, (_, i) => [from + i * ms, 1])

async function healthAt(idx: RunIndex, now: number): Promise<Record<string, string | undefined>> {
  clock.now = now
  await refreshCadence(idx)
  return Object.fromEntries((await idx.runSummaries()).map((r) => [r.runId, r.health]))
}

describe('stalled runs', () => {
  it('are RUNNING and silent for more than k × the median logging interval, never under 60 s', async () => {
    const idx = await index()
    await idx.apply([
      run('slow'), metric('slow', 'loss', every(20_000, 20)), // every 20 s, last point at 380 s: stalled after 200 s of silence
      run('fast'), metric('fast', 'loss', every(1_000, 20)), // every second, last at 19 s: 10 s is under the floor, so 60 s
      run('done', { status: 'FINISHED' }), metric('done', 'loss', every(1_000, 20)),
    ])
    expect(await healthAt(idx, 19_000 + 60_000)).toEqual({ slow: 'ok', fast: 'ok', done: 'ok' })
    expect(await healthAt(idx, 19_000 + 60_001)).toEqual({ slow: 'ok', fast: 'stalled', done: 'ok' })
    expect(await healthAt(idx, 380_000 + 200_000)).toEqual({ slow: 'ok', fast: 'stalled', done: 'ok' })
    expect(await healthAt(idx, 380_000 + 200_001)).toEqual({ slow: 'stalled', fast: 'stalled', done: 'ok' })
    // A new point ends the silence.
    await idx.apply([metric('fast', 'loss', [[580_000, 1]], 20)])
    expect((await healthAt(idx, 580_001)).fast).toBe('ok')
  })

  it('takes the median of the gaps (odd and even counts), within each metric, and ignores repeated timestamps', async () => {
    const idx = await index()
    await idx.apply([
      // gaps 10, 10, 100 s: median 10 s → limit max(60 s, 100 s) = 100 s from the last point at 120 s
      run('odd'), metric('odd', 'loss', [[0, 1], [10_000, 1], [20_000, 1], [120_000, 1]]),
      // gaps 10, 20 s: median 15 s → limit 150 s from 30 s
      run('even'), metric('even', 'loss', [[0, 1], [10_000, 1], [30_000, 1]]),
      // loss and acc logged 5 ms apart every 60 s: the cadence is 60 s (limit 600 s), not 5 ms
      run('pair'), metric('pair', 'loss', every(60_000, 5)), metric('pair', 'acc', every(60_000, 5, 5)),
      // the same moment logged twice is one moment: gaps 30 s, 30 s → limit 300 s from 60 s
      run('dup'), metric('dup', 'loss', [[0, 1], [0, 1], [30_000, 1], [60_000, 1], [60_000, 2]]),
    ])
    expect(await healthAt(idx, 180_000)).toMatchObject({ odd: 'ok', even: 'ok' })
    expect(await healthAt(idx, 180_001)).toMatchObject({ odd: 'ok', even: 'stalled' })
    expect(await healthAt(idx, 220_000)).toMatchObject({ odd: 'ok' })
    expect(await healthAt(idx, 220_001)).toMatchObject({ odd: 'stalled' })
    expect(await healthAt(idx, 240_005 + 600_000)).toMatchObject({ pair: 'ok', dup: 'stalled' })
    expect(await healthAt(idx, 240_005 + 600_001)).toMatchObject({ pair: 'stalled' })
    expect(await healthAt(idx, 360_000)).toMatchObject({ dup: 'ok' })
    expect(await healthAt(idx, 360_001)).toMatchObject({ dup: 'stalled' })
  })

  it('measure a run with fewer than two points from its last point, or from its start', async () => {
    const idx = await index()
    await idx.apply([
      run('one', { startTime: 0 }), metric('one', 'loss', [[50_000, 1]]),
      run('none', { startTime: 10_000 }),
      run('unknown', { startTime: null }),
    ])
    expect(await healthAt(idx, 70_000)).toEqual({ one: 'ok', none: 'ok', unknown: 'ok' })
    expect(await healthAt(idx, 70_001)).toEqual({ one: 'ok', none: 'stalled', unknown: 'ok' })
    expect(await healthAt(idx, 110_001)).toEqual({ one: 'stalled', none: 'stalled', unknown: 'ok' })
  })

  it('are judged with intervals computed in chunks of runs, and recomputed once a run has a tenth more points', async () => {
    const idx = await index()
    await idx.apply([
      run('a'), metric('a', 'loss', every(100_000, 10)), // last at 900 s, limit 1000 s
      run('b'), metric('b', 'loss', every(10_000, 10)), // last at 90 s, limit 100 s
    ])
    clock.now = 1_000_000
    const chunks: number[] = []
    await refreshCadence(idx, async (job) => { chunks.push(chunks.length); await job() }, 1)
    expect(chunks.length).toBe(4) // a, b, nothing left, then forgetting finished runs
    expect((await idx.runSummaries()).map((r) => [r.runId, r.health]).sort()).toEqual([['a', 'ok'], ['b', 'stalled']])
    // One more point, 10 s after b's last: not a tenth more, the interval stays 10 s; a second one moves it.
    await idx.apply([metric('b', 'loss', [[1_000_000, 1]], 10)])
    expect((await healthAt(idx, 1_000_000 + 100_001)).b).toBe('stalled')
    await idx.apply([metric('b', 'loss', [[1_000_000 + 910_000, 1]], 11)])
    // Gaps: nine of 10 s, 910 s and 910 s: the median is still 10 s.
    expect((await healthAt(idx, 1_910_000 + 100_001)).b).toBe('stalled')
  })

  it('follow the configured k and floor', async () => {
    const idx = await index({ health: { k: 2, minSilenceMs: 5_000 } })
    await idx.apply([run('a'), metric('a', 'loss', every(10_000, 3))]) // last at 20 s, limit max(5 s, 20 s)
    expect((await healthAt(idx, 40_000)).a).toBe('ok')
    expect((await healthAt(idx, 40_001)).a).toBe('stalled')
  })
})

describe('diverged runs', () => {
  it('have a NaN or ±Inf latest value in any metric, or a loss-like latest value above m × its minimum', async () => {
    const idx = await index()
    clock.now = 1
    await idx.apply([
      run('nan'), metric('nan', 'acc', [[0, 0.5], [1, NaN]]),
      run('inf'), metric('inf', 'grad_norm', [[0, 1], [1, -Infinity]]),
      run('recovered'), metric('recovered', 'acc', [[0, NaN], [1, 0.5]]),
      run('runaway'), metric('runaway', 'val_LOSS', [[0, 1], [1, 0.5], [2, 1.51]]),
      run('at-limit'), metric('at-limit', 'loss', [[0, 1], [1, 0.5], [2, 1.5]]),
      run('negative'), metric('negative', 'loss', [[0, -1], [1, -2], [2, 10]]),
      run('accuracy'), metric('accuracy', 'acc', [[0, 0.1], [1, 0.9]]),
      run('finished', { status: 'FINISHED' }), metric('finished', 'loss', [[0, NaN]]),
    ])
    expect(await healthAt(idx, 2)).toEqual({
      nan: 'diverged', inf: 'diverged', recovered: 'ok', runaway: 'diverged', 'at-limit': 'ok', negative: 'ok', accuracy: 'ok', finished: 'diverged',
    })
    // Diverged wins over stalled.
    expect((await healthAt(idx, 10_000_000)).nan).toBe('diverged')
  })

  it('follow the configured m and loss-like keys', async () => {
    const idx = await index({ health: { m: 10, lossLike: ['nll', 'perplexity'] } })
    clock.now = 1
    await idx.apply([
      run('loss'), metric('loss', 'loss', [[0, 1], [1, 5]]),
      run('ppl'), metric('ppl', 'Perplexity', [[0, 1], [1, 11]]),
    ])
    expect(await healthAt(idx, 2)).toEqual({ loss: 'ok', ppl: 'diverged' })
  })
})

describe('attributes.health in filters and columns', () => {
  async function sample() {
    const idx = await index()
    clock.now = 0
    await idx.apply([
      run('quiet', { startTime: 0 }),
      run('busy'), metric('busy', 'loss', [[100_000, 1]]),
      run('broken'), metric('broken', 'loss', [[100_000, NaN]]),
    ])
    clock.now = 100_000
    await refreshCadence(idx)
    return idx
  }
  const ids = async (idx: RunIndex, filter: string) =>
    (await searchRuns(idx, { filter: parseFilter(filter, 'runwatch'), limit: 100 })).ids.sort()

  it('selects runs by health with = != IN and NOT IN', async () => {
    const idx = await sample()
    expect(await ids(idx, "attributes.health = 'stalled'")).toEqual(['quiet'])
    expect(await ids(idx, "health != 'ok'")).toEqual(['broken', 'quiet'])
    expect(await ids(idx, "attributes.health IN ('ok', 'diverged')")).toEqual(['broken', 'busy'])
    expect(await ids(idx, "attributes.health NOT IN ('ok') AND NOT run_name = 'broken'")).toEqual(['quiet'])
    const [column] = parseColumns(['attributes.health'])
    expect(await runColumns(idx, ['busy', 'quiet', 'broken'], [column!])).toEqual({ 'attributes.health': ['ok', 'stalled', 'diverged'] })
  })

  it.each([
    ["attributes.health = 'stale'", /health is one of 'ok', 'stalled', 'diverged', not 'stale' at column 21/],
    ["attributes.health IN ('ok', 'bad')", /not 'bad' at column 29/],
    ["attributes.health LIKE 'st%'", /'LIKE' cannot compare attribute health; use = != IN or NOT IN at column 19/],
    ['attributes.health IS NULL', /'IS NULL' cannot compare attribute health/],
    ['attributes.health = 1', /not '1' at column 21/],
  ])('rejects %s', (filter, message) => {
    expect(() => parseFilter(filter, 'runwatch')).toThrow(message)
  })

  it("is unknown to MLflow's grammar, and cannot order a search", () => {
    expect(() => parseFilter("attributes.health = 'ok'", 'mlflow')).toThrow(/unknown attribute 'health'; expected run_id, run_name, status, user_id, artifact_uri, start_time or end_time/)
    expect(() => parseOrderBy(['attributes.health'], 'runwatch')).toThrow(/runs cannot be ordered by health/)
  })
})

describe('the periodic health check', () => {
  /** A live hub with one client subscribed to every run, its frames collected. */
  function subscribed(idx: RunIndex) {
    const queue = new SerialQueue()
    const hub = new LiveHub(idx, queue)
    const frames: ServerMessage[] = []
    hub.connect({ send: (t) => frames.push(JSON.parse(t.toString()) as ServerMessage), bufferedAmount: 0, close: () => {} }).receive(JSON.stringify({ type: 'subscribe', sub: 's', metrics: [] }))
    return { queue, hub, frames }
  }

  it('corrects a baseline judged before the intervals were known', async () => {
    const idx = await index()
    const { queue, hub, frames } = subscribed(idx)
    await idx.apply([run('slow'), metric('slow', 'loss', every(120_000, 3))]) // every 2 min, last at 240 s
    clock.now = 240_000 + 61_000
    hub.indexed()
    const watch = new HealthWatch(idx, hub, queue)
    await watch.start(60_000)
    watch.stop()
    const runs = frames.filter((f): f is RunsMessage => f.type === 'runs')
    // The snapshot came after the baseline (floor only: stalled); the first check knows the 2-minute cadence.
    expect(runs.map((f) => f.upsert.map((r) => r.health))).toEqual([['stalled'], ['ok']])
  })

  it('publishes a run that turned stalled with time alone, once, and not a run whose points changed', async () => {
    const idx = await index()
    const { queue, hub, frames } = subscribed(idx)
    clock.now = 0
    await idx.apply([run('a'), metric('a', 'loss', [[0, 1]]), run('b'), metric('b', 'loss', [[0, 1]])])
    hub.indexed()
    const watch = new HealthWatch(idx, hub, queue)
    expect(await watch.check()).toEqual([])
    await waitFor(() => frames.some((f) => f.type === 'synced'), 'the snapshot')

    clock.now = 30_000
    await idx.apply([metric('b', 'loss', [[30_000, 1]], 1)])
    expect(await watch.check()).toEqual([])
    clock.now = 60_001
    expect(await watch.check()).toEqual(['a'])
    const published = frames.filter((f): f is RunsMessage => f.type === 'runs').at(-1)!
    expect(published.upsert.map((r) => [r.runId, r.health])).toEqual([['a', 'stalled']])
    expect(await watch.check()).toEqual([])
  })

  it('stopped while a check waits on the queue, reads nothing more: the server closes the index behind it', async () => {
    const idx = await index()
    const { queue, hub, frames } = subscribed(idx)
    await idx.apply([run('a'), metric('a', 'loss', every(1000, 3))])
    hub.indexed()
    await waitFor(() => frames.some((f) => f.type === 'synced'), 'the snapshot')
    const watch = new HealthWatch(idx, hub, queue)
    const logs: string[] = []
    vi.spyOn(hub, 'log').mockImplementation((m) => void logs.push(m))
    const reads = vi.spyOn(idx, 'columns')
    // The queue is busy (a write, say) when the check comes, and the server stops the watch and closes the index meanwhile.
    let release!: () => void
    const busy = queue.run(() => new Promise<void>((r) => (release = r)))
    await waitFor(() => release !== undefined, 'the busy job')
    const started = watch.start(60_000)
    watch.stop()
    const closed = queue.run(async () => idx.close())
    release()
    await Promise.all([busy, started, closed])
    open.splice(open.indexOf(idx), 1)
    expect(reads).not.toHaveBeenCalled()
    expect(logs).toEqual([])
  })

  it('reads nothing on a quiet store until a run may have turned stalled or the index changed', async () => {
    const idx = await index()
    const { queue, hub } = subscribed(idx)
    clock.now = 0
    await idx.apply([run('a'), metric('a', 'loss', [[0, 1]])])
    hub.indexed()
    const watch = new HealthWatch(idx, hub, queue)
    const reads = vi.spyOn(idx, 'columns')
    clock.now = 10_000
    expect(await watch.check()).toEqual([])
    expect(reads).toHaveBeenCalled()
    reads.mockClear()
    // a is stalled after 60 s of silence: until then a check has nothing to read.
    clock.now = 59_000
    expect(await watch.check()).toEqual([])
    expect(reads).not.toHaveBeenCalled()
    clock.now = 60_001
    expect(await watch.check()).toEqual(['a'])
    reads.mockClear()
    clock.now = 600_000
    expect(await watch.check()).toEqual([])
    expect(reads).not.toHaveBeenCalled()
    // A point: a is judged again, and is ok.
    await idx.apply([metric('a', 'loss', [[600_000, 1]], 1)])
    expect(await watch.check()).toEqual(['a'])
    expect((await idx.runSummaries())[0]!.health).toBe('ok')
  })
})
