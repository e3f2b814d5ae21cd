import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { decodeSeriesFrame, fromWire, SERIES_FRAME_TYPE, toWire } from '../protocol/index.ts'
import { bucketOf, bucketSlots, m4, M4Cells, m4Grid } from '../server/query/series/m4.ts'
import { effectiveBudget, MAX_ANSWER_VALUES } from '../server/query/series/query.ts'
import { emaDebiased, movingAverage } from '../server/query/series/smoothing.ts'
import { tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

describe('smoothing', () => {
  it("equals TensorBoard's debiased EMA computed by hand", () => {
    const w = 0.6
    // Hand computation: last_n = w*last_{n-1} + (1-w)*v_n, output last_n / (1 - w^n).
    const v = [1, 3, 2, 5]
    const l1 = 0.4 * 1, l2 = 0.6 * l1 + 0.4 * 3, l3 = 0.6 * l2 + 0.4 * 2, l4 = 0.6 * l3 + 0.4 * 5
    const expected = [l1 / (1 - 0.6), l2 / (1 - 0.36), l3 / (1 - 0.216), l4 / (1 - 0.1296)]
    const got = emaDebiased(v, w)
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 12))
    expect(got[0]).toBeCloseTo(1, 12)
  })

  it('passes NaN and Inf through uncounted, and leaves a constant series alone', () => {
    const got = emaDebiased([2, NaN, 4, Infinity], 0.5)
    expect(got[0]).toBeCloseTo(2)
    expect(got[1]).toBeNaN()
    // Second finite value is the second counted one: (0.5*1 + 0.5*4) / (1 - 0.25).
    expect(got[2]).toBeCloseTo((0.5 * (0.5 * 2) + 0.5 * 4) / 0.75)
    expect(got[3]).toBe(Infinity)
    expect([...emaDebiased([3, 3, 3], 0.9)]).toEqual([3, 3, 3])
    expect([...emaDebiased([1, 2], 0)]).toEqual([1, 2])
  })

  it('computes a trailing moving average', () => {
    expect([...movingAverage([1, 2, 3, 4], 2)]).toEqual([1, 1.5, 2.5, 3.5])
  })
})

describe('series budget', () => {
  it('lowers a budget whose answer would exceed the values one answer may hold', () => {
    expect(effectiveBudget(undefined, 3)).toBe(1000)
    expect(effectiveBudget(100_000, 1)).toBe(100_000)
    expect(effectiveBudget(100_000, 100)).toBe(MAX_ANSWER_VALUES / 100)
    expect(effectiveBudget(100_000, 100) * 100).toBeLessThanOrEqual(MAX_ANSWER_VALUES)
    expect(effectiveBudget(1, 1)).toBe(4)
  })
})

describe('M4 downsampling', () => {
  it('keeps every bucket extreme, in x order, on a shared grid', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i)
    const ys = xs.map((x) => Math.sin(x / 10))
    ys[333] = 50 // a spike
    ys[777] = -50
    const buckets = m4(xs, ys, 0, 999, 10)
    expect(buckets.size).toBe(10)
    const all = [...buckets.values()].flatMap(bucketSlots)
    expect(Math.max(...all)).toBe(50)
    expect(Math.min(...all)).toBe(-50)
    for (const [b, m] of buckets) {
      const inBucket = ys.filter((_, i) => Math.min(9, Math.floor((i / 999) * 10)) === b)
      expect(m.maxY).toBe(Math.max(...inBucket))
      expect(m.minY).toBe(Math.min(...inBucket))
      expect(m.firstY).toBe(inBucket[0])
      expect(m.lastY).toBe(inBucket.at(-1))
    }
    expect(m4Grid(0, 100, 2)).toEqual([0, 12.5, 25, 37.5, 50, 62.5, 75, 87.5])
  })

  it('gives the same slots from points in any order (M4Cells) as from points in x order (m4)', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    const xs = Array.from({ length: 3000 }, (_, i) => i)
    const ys = xs.map((x) => (x % 97 === 0 ? NaN : x >= 1000 && x < 1100 ? NaN : Math.sin(x / 7) + random()))
    const buckets = 40
    const cells = new M4Cells(buckets)
    const shuffled = xs.map((x) => [random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x)
    for (const x of shuffled) cells.add(bucketOf(x, 0, 2999, buckets), x, ys[x]!)
    const written = Array.from({ length: buckets * 4 }, () => NaN)
    for (let b = 0; b < buckets; b++) cells.writeSlots(b, { set: (slot, v) => (written[slot] = v) }, b * 4)
    const expected = Array.from({ length: buckets * 4 }, () => NaN)
    for (const [b, m] of m4(xs, ys, 0, 2999, buckets)) bucketSlots(m).forEach((v, k) => (expected[b * 4 + k] = v))
    expect(written).toEqual(expected)
  })
})

describe('series query over a real index', () => {
  let server: Awaited<ReturnType<typeof serveStore>>
  let cleanup: () => void
  let runs: string[]
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    const w = new MlflowFileStoreWriter(`${dir.path}/mlruns`)
    const exp = w.createExperiment('series')
    runs = [0, 1].map((r) => {
      const id = w.createRun(exp, { name: `r${r}` })
      // Run 0 logs every step 0..9999; run 1 every other step, with a spike.
      const points = Array.from({ length: r === 0 ? 10_000 : 5_000 }, (_, i) => {
        const step = r === 0 ? i : i * 2
        return { timestamp: 1000 + step, value: step === 4_000 && r === 1 ? 1e6 : Math.cos(step / 500), step }
      })
      w.logMetric(id, 'loss', points)
      w.logMetric(id, 'short', [{ timestamp: 1, value: 1, step: 0 }, { timestamp: 2, value: 2, step: 5 }, { timestamp: 3, value: 3, step: 5 }])
      // Only run 0 logs it: run 1's row is empty.
      if (r === 0) {
        w.logMetric(id, 'odd', [NaN, Infinity, -Infinity, 2.5, -0, 1e-300].map((value, step) => ({ timestamp: 10 + step, value, step: step * 3 })))
      }
      return id
    })
    server = await serveStore({ kind: 'file', path: `${dir.path}/mlruns` })
  })
  afterAll(async () => {
    await server.close()
    cleanup()
  })

  it('returns exact points on the union of x values when the range holds fewer than the budget', async () => {
    const res = await server.post('/api/series', { runIds: runs, key: 'short', budget: 100 })
    expect(res.body).toMatchObject({ exact: true, grid: [0, 5] })
    // A repeated step keeps the last logged value.
    expect(res.body.runs.map((r: any) => r.y)).toEqual([[1, 3], [1, 3]])
  })

  it('buckets larger ranges within the budget and loses no spike', async () => {
    const res = await server.post('/api/series', { runIds: runs, key: 'loss', budget: 400 })
    expect(res.body.exact).toBe(false)
    expect(res.body.grid).toHaveLength(400)
    for (const r of res.body.runs) expect(r.y).toHaveLength(400)
    expect(Math.max(...res.body.runs[1].y.filter((v: unknown) => v !== null).map(fromWire))).toBe(1e6)
    expect(Math.max(...res.body.runs[0].y.filter((v: unknown) => v !== null).map(fromWire))).toBeCloseTo(1, 6)
  })

  it('zooms into a range at full resolution, and smooths before downsampling so zoom never changes the curve', async () => {
    const zoom = await server.post('/api/series', { runIds: [runs[0]], key: 'loss', range: [100, 199], budget: 1000, smoothing: { kind: 'ema', weight: 0.9 } })
    expect(zoom.body.exact).toBe(true)
    expect(zoom.body.grid).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i))
    const full = emaDebiased(Array.from({ length: 10_000 }, (_, i) => Math.cos(i / 500)), 0.9)
    zoom.body.runs[0].y.forEach((v: number, i: number) => expect(v).toBeCloseTo(full[100 + i]!, 10))
    expect(zoom.body.runs[0].raw[0]).toBeCloseTo(Math.cos(100 / 500), 12)
  })

  it('puts x on relative or wall time', async () => {
    const res = await server.post('/api/series', { runIds: [runs[0]], key: 'short', x: 'wall' })
    expect(res.body.grid).toEqual([1, 2, 3])
    const rel = await server.post('/api/series', { runIds: [runs[0]], key: 'short', x: 'relative' })
    expect(rel.body.grid).toEqual([0, 1, 2])
  })

  it('answers a binary frame, when asked for one, holding exactly what the JSON answer holds', async () => {
    // Both answers from one state of the index: before the chart overviews are built a query reads
    // points, after it reads blocks, and their coarse buckets need not pick the same extremes.
    await waitFor(() => server.index.hasBlocks, 'the chart overviews')
    const requests = [
      { runIds: runs, key: 'odd' },
      { runIds: runs, key: 'loss', budget: 400 },
      { runIds: runs, key: 'odd', budget: 4 },
      { runIds: [runs[0], 'no-such-run'], key: 'loss', range: [100, 199], smoothing: { kind: 'ema', weight: 0.9 } },
      { runIds: runs, key: 'odd', smoothing: { kind: 'sma', window: 2 } },
      { runIds: runs, key: 'never-logged' },
    ]
    for (const request of requests) {
      const json = (await server.post('/api/series', request)).body
      const res = await fetch(`${server.url}/api/series`, { method: 'POST', body: JSON.stringify(request), headers: { accept: SERIES_FRAME_TYPE } })
      expect(res.headers.get('content-type')).toBe(SERIES_FRAME_TYPE)
      const frame = decodeSeriesFrame(await res.arrayBuffer())
      expect({ key: frame.key, x: frame.x, exact: frame.exact, cursor: frame.cursor }).toEqual({ key: json.key, x: json.x, exact: json.exact, cursor: json.cursor })
      expect(Array.from(frame.grid)).toEqual(json.grid)
      // Back to what JSON spells: an empty slot is null, a logged NaN 'NaN', ±Infinity as strings, -0 as 0.
      const spelled = (values: Float64Array, nanAt: number[] | undefined) =>
        Array.from(values, (v, i) => (Number.isNaN(v) && !nanAt?.includes(i) ? null : v === 0 ? 0 : toWire(v)))
      expect(frame.runs.map((r) => r.runId)).toEqual(json.runs.map((r: { runId: string }) => r.runId))
      frame.runs.forEach((r, i) => {
        expect(spelled(r.y, r.nanAt)).toEqual(json.runs[i].y)
        if (json.runs[i].raw) expect(spelled(r.raw!, r.rawNanAt)).toEqual(json.runs[i].raw)
        else expect(r.raw).toBeUndefined()
      })
    }
    // The special values came through, once each.
    const odd = await fetch(`${server.url}/api/series`, { method: 'POST', body: JSON.stringify(requests[0]), headers: { accept: SERIES_FRAME_TYPE } })
    const frame = decodeSeriesFrame(await odd.arrayBuffer())
    expect(frame.runs[0]!.nanAt).toEqual([0])
    expect(Array.from(frame.runs[0]!.y)).toEqual([NaN, Infinity, -Infinity, 2.5, -0, 1e-300])
    expect(frame.runs[1]!.y.every(Number.isNaN)).toBe(true)
    // A refused request is still answered in JSON, with its message.
    const bad = await fetch(`${server.url}/api/series`, { method: 'POST', body: JSON.stringify({ runIds: runs }), headers: { accept: SERIES_FRAME_TYPE } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/key/)
  })

  it('refuses bad requests', async () => {
    expect((await server.post('/api/series', { runIds: runs })).status).toBe(400)
    expect((await server.post('/api/series', { runIds: runs, key: 'loss', x: 'epoch' })).status).toBe(400)
    expect((await server.post('/api/series', { runIds: runs, key: 'loss', smoothing: { kind: 'ema', weight: 2 } })).status).toBe(400)
  })

  it('answers a runs page with chosen columns, a filter error with its column', async () => {
    const res = await server.post('/api/runs/query', { columns: ['run_name', 'metrics.loss', 'metrics.max.loss'], filter: 'metrics.max.loss > 100 OR run_name = \'r0\'', orderBy: ['run_name'] })
    expect(res.body).toMatchObject({ total: 2, offset: 0, runIds: runs, columns: { run_name: ['r0', 'r1'], 'metrics.max.loss': [1, 1e6] } })
    const bad = await server.post('/api/runs/query', { filter: 'params.lr < abc' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toEqual({ code: 'INVALID_FILTER', message: "expected a number after '<' but found 'abc' at column 13", column: 13 })
  })
})
