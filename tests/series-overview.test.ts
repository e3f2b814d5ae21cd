// Overviews drawn from the blocks (series/query.ts): checked against every
// point of the series, for blocks built by the initial scan and for blocks
// folded live.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MlflowFileStoreWriter, type MetricPoint } from '../demo/mlflow-file-writer.ts'
import { fromWire, toWire, type WireNumber } from '../protocol/index.ts'
import { GridRow } from '../server/query/series/grid-row.ts'
import { bucketOf } from '../server/query/series/m4.ts'
import { tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

const STEPS = 20_000

/** A noisy curve with spikes, a stretch of NaN and a gap; every other step for odd seeds. */
function curve(seed: number): MetricPoint[] {
  const points: MetricPoint[] = []
  let noise = seed
  for (let step = 0; step < STEPS; step += seed % 2 ? 2 : 1) {
    if (step >= 12_000 && step < 12_500) continue
    noise = (noise * 1103515245 + 12345) % 2147483648
    let value = Math.sin(step / (300 + seed)) + noise / 2147483648 / 5
    if (step % 3_331 === 7) value = 40 + seed
    if (step % 4_999 === 11) value = -40 - seed
    if (step >= 5_000 && step < 5_100) value = NaN
    points.push({ timestamp: 1_000 + step, value, step })
  }
  return points
}

interface Overview { grid: number[]; runs: { runId: string; y: (WireNumber | null)[] }[]; exact: boolean }

/** Checks one run's buckets against its points. */
function expectFaithful(points: MetricPoint[], y: (WireNumber | null)[], grid: number[], range?: [number, number]): void {
  const buckets = grid.length / 4
  const [x0, x1] = range ?? [points[0]!.step, points.at(-1)!.step]
  const inBucket: number[][] = Array.from({ length: buckets }, () => [])
  for (const p of points) if (p.step >= x0 && p.step <= x1) inBucket[bucketOf(p.step, x0, x1, buckets)]!.push(p.value)
  const finite = (vs: number[]) => vs.filter(Number.isFinite)
  const drawn = (b: number) => y.slice(b * 4, b * 4 + 4).map((v) => (v === null ? null : fromWire(v)))
  const max = (vs: number[]) => Math.max(-Infinity, ...finite(vs))
  const min = (vs: number[]) => Math.min(Infinity, ...finite(vs))
  for (let b = 0; b < buckets; b++) {
    const values = inBucket[b]!
    const slots = drawn(b)
    // A bucket with points shows some, one without shows none.
    expect(slots.every((v) => v === null)).toBe(values.length === 0)
    if (values.length === 0) continue
    // Every value shown is a point of that bucket.
    for (const v of slots) expect(values.some((p) => Object.is(p, v))).toBe(true)
    const shown = slots as number[]
    expect(max(shown)).toBeLessThanOrEqual(max(values))
    expect(min(shown)).toBeGreaterThanOrEqual(min(values))
    // What a bucket misses (inside a block cut by its edge) is within what it and its neighbours show.
    const near = [b - 1, b, b + 1].filter((n) => n >= 0 && n < buckets).flatMap((n) => drawn(n).filter((v): v is number => v !== null))
    expect(max(values)).toBeLessThanOrEqual(max(near))
    expect(min(values)).toBeGreaterThanOrEqual(min(near))
  }
  // No spike is lost.
  const all = y.filter((v): v is WireNumber => v !== null).map(fromWire)
  const inRange = points.filter((p) => p.step >= x0 && p.step <= x1).map((p) => p.value)
  expect(max(all)).toBe(max(inRange))
  expect(min(all)).toBe(min(inRange))
}

describe('overviews from blocks', () => {
  let server: Awaited<ReturnType<typeof serveStore>>
  let cleanup: () => void
  let root: string
  let exp: string
  const runs: { runId: string; points: MetricPoint[] }[] = []
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    root = join(dir.path, 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    exp = w.createExperiment('overview')
    for (const seed of [1, 2]) {
      const points = curve(seed)
      const runId = w.createRun(exp, { name: `r${seed}` })
      w.logMetric(runId, 'loss', points)
      runs.push({ runId, points })
    }
    server = await serveStore({ kind: 'file', path: root })
    await waitFor(() => server.index.hasBlocks, 'the blocks')
  })
  afterAll(async () => {
    await server?.close()
    cleanup?.()
  })

  const query = async (body: object): Promise<Overview> => (await server.post('/api/series', { key: 'loss', ...body })).body

  it.each([4000, 1000, 400, 40, 4])('shows every bucket faithfully with a budget of %i', async (budget) => {
    const res = await query({ runIds: runs.map((r) => r.runId), budget })
    expect(res.exact).toBe(false)
    runs.forEach((r, i) => expectFaithful(r.points, res.runs[i]!.y, res.grid))
  })

  it('zooms into a range cutting blocks at both ends', async () => {
    const range: [number, number] = [3_001, 9_998]
    const res = await query({ runIds: runs.map((r) => r.runId), budget: 200, range })
    runs.forEach((r, i) => expectFaithful(r.points, res.runs[i]!.y, res.grid, range))
  })

  it('draws a series indexed live like the same series from the initial scan', async () => {
    const w = new MlflowFileStoreWriter(root)
    const live = w.createRun(exp, { name: 'live' })
    // Written in pieces, as training would.
    const points = runs[1]!.points
    for (let i = 0; i < points.length; i += 5_000) {
      w.logMetric(live, 'loss', points.slice(i, i + 5_000))
      await new Promise((r) => setTimeout(r, 50))
    }
    const ids = [runs[1]!.runId, live]
    for (const budget of [4000, 400, 40]) {
      const res = await waitFor(async () => {
        const r = await query({ runIds: ids, budget })
        return JSON.stringify(r.runs[0]!.y) === JSON.stringify(r.runs[1]!.y) ? r : undefined
      }, `the live series drawn as the scanned one at a budget of ${budget}`)
      expectFaithful(points, res.runs[1]!.y, res.grid)
    }
  })
})

describe('grid rows', () => {
  it('are written as JSON exactly as the array of wire values they stand for', () => {
    const values = [0, -0, 1.5, -2.25e-7, 1e21, 123456789.123, NaN, Infinity, -Infinity, 5e-324]
    for (const withNonFinite of [false, true]) {
      const row = new GridRow(40)
      const array: (WireNumber | null)[] = new Array(40).fill(null)
      values.forEach((v, i) => {
        if (!withNonFinite && !Number.isFinite(v)) return
        row.set(i * 3, v)
        array[i * 3] = toWire(v)
      })
      // Overwritten slots keep only the last value, finite or not.
      row.set(1, NaN)
      row.set(1, 7)
      array[1] = 7
      expect(JSON.stringify({ y: row })).toBe(JSON.stringify({ y: array }))
    }
    expect(JSON.stringify(new GridRow(0))).toBe('[]')
  })
})
