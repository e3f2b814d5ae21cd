import { describe, expect, it } from 'vitest'
// The browser app's logic without a browser: curves, URL state, paging,
// autocompletion, brushes, previews.
import { lastPerStep, mergeIncreasing } from '../protocol/index.ts'
import { LiveCurve } from '../client/src/charts/live-curve.ts'
import { CurveGrid, isBlank } from '../client/src/charts/curve-grid.ts'
import { m4Grid } from '../server/query/series/m4.ts'
import { formatElapsed, formatX, formatXTick, tickWeight, xTickLength } from '../client/src/charts/x-format.ts'
import { emaDebiased } from '../server/query/series/smoothing.ts'
import { DEFAULT_VIEW, parseViewState, serializeViewState } from '../client/src/state/view-state.ts'
import { colorFor, distinctSlots } from '../client/src/colors.ts'
import { formatDuration, naturalOrder } from '../client/src/format.ts'
import { parseInline, parseMarkdown } from '../client/src/run/markdown.ts'
import { unknownKeys } from '../client/src/state/unknown-keys.ts'
import { priceFormatter } from '../client/src/charts/price-format.ts'
import { PAGE_SIZE, RunPages, UNREACHABLE, type RunsQuery } from '../client/src/state/run-pages.ts'
import { applySuggestion, suggestFilter } from '../client/src/state/filter-suggestions.ts'
import { brushClause, buildAxis, inBrush, position } from '../client/src/compare/axes.ts'
import { nestUnderParents } from '../client/src/state/nesting.ts'
import { csvRows, previewKind, readStart } from '../client/src/run/artifact-preview.ts'
import { columnId, parseColumnId } from '../client/src/columns.ts'
import { parseFilter } from '../server/query/filter-grammar.ts'

describe('series for the chart', () => {
  it('keeps steps strictly increasing: the last value of a repeated step wins, older steps are dropped', () => {
    const s = lastPerStep([0, 1, 1, 2], [5, 4, 3, 2])
    expect(s).toEqual({ step: [0, 1, 2], value: [5, 3, 2] })
    const r = mergeIncreasing(s, [1, 2, 3], [9, 1.5, 1])
    expect(s).toEqual({ step: [0, 1, 2, 3], value: [5, 3, 1.5, 1] })
    expect(r).toEqual({ from: 3, replacedLast: true })
  })
})

describe('bounded series for the wall', () => {
  it('stays under its cap for a run that logs for days, keeping the newest half exact and the spikes', async () => {
    const { appendBounded } = await import('../client/src/state/bounded-series.ts')
    const s = { step: [] as number[], value: [] as number[] }
    for (let from = 0; from < 200_000; from += 100) {
      const steps = Array.from({ length: 100 }, (_, i) => from + i)
      appendBounded(s, steps, steps.map((x) => (x === 1234 ? 1e6 : Math.sin(x))), 1000)
      expect(s.step.length).toBeLessThanOrEqual(1000)
    }
    expect(s.step.at(-1)).toBe(199_999)
    expect(s.value).toContain(1e6)
    const tail = s.step.slice(-300)
    expect(tail).toEqual(Array.from({ length: 300 }, (_, i) => 199_700 + i))
    expect(s.step.every((x, i) => i === 0 || x > s.step[i - 1]!)).toBe(true)
    // A snapshot far larger than the cap arrives in one piece.
    const big = { step: [] as number[], value: [] as number[] }
    const steps = Array.from({ length: 150_000 }, (_, i) => i)
    appendBounded(big, steps, steps.map((x) => (x === 77 ? -5e5 : 1)), 1000)
    expect(big.step.length).toBeLessThanOrEqual(1000)
    expect(big.value).toContain(-5e5)
  })
})

describe('a chart curve continued live', () => {
  it('continues the debiased EMA from the server\'s last smoothed value exactly as a full recomputation', () => {
    const values = Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) + i / 100)
    const full = emaDebiased(values, 0.8)
    // The server answered the first 200 points, smoothed; the rest arrive live.
    const grid = Float64Array.from({ length: 200 }, (_, i) => i)
    const curve = LiveCurve.fromAnswer(grid, { runId: 'r', y: full.slice(0, 200), raw: Float64Array.from(values.slice(0, 200)) }, 0.8, 200)
    for (let i = 200; i < 300; i++) expect(curve.append(i, values[i]!).kind).toBe('append')
    curve.points.slice(200).forEach((p, k) => expect(p.y).toBeCloseTo(full[200 + k]!, 12))
  })

  it('takes from a series frame the slots with a value: a logged NaN is a point, an empty slot is not', () => {
    const grid = Float64Array.from([0, 1, 2, 3])
    const curve = LiveCurve.fromAnswer(grid, { runId: 'r', y: Float64Array.from([1, NaN, NaN, 4]), nanAt: [2], raw: Float64Array.from([1.5, NaN, NaN, 3]), rawNanAt: [2] }, 0.5, 4)
    expect(curve.points.map((p) => [p.x, p.y, p.raw])).toEqual([[0, 1, 1.5], [2, NaN, NaN], [3, 4, 3]])
    const unsmoothed = LiveCurve.fromAnswer(grid, { runId: 'r', y: Float64Array.from([NaN, 2, -Infinity, NaN]) }, 0, 3)
    expect(unsmoothed.points.map((p) => [p.x, p.y, p.raw])).toEqual([[1, 2, 2], [2, -Infinity, -Infinity]])
  })

  it('replaces a repeated step (redoing its smoothing), drops an older one, and finds the best value', () => {
    const curve = new LiveCurve(0.5)
    curve.append(0, 4)
    curve.append(1, 2)
    expect(curve.append(1, 8).kind).toBe('replace')
    expect(curve.points.map((p) => p.raw)).toEqual([4, 8])
    expect(curve.points[1]!.y).toBeCloseTo(Array.from(emaDebiased([4, 8], 0.5))[1]!, 12)
    expect(curve.append(0, 1).kind).toBe('drop')
    curve.append(2, NaN)
    expect(curve.best(true)).toMatchObject({ x: 0, raw: 4 })
    expect(curve.best(false)).toMatchObject({ x: 1, raw: 8 })
  })

  /** A bucketed answer of `buckets` buckets of width w from 0: four slots each, as the server lays them out. */
  const bucketedGrid = (buckets: number, w: number) => Float64Array.from(m4Grid(0, buckets * w, buckets))

  it('folds live points of a bucketed curve into first, min, max and last on the slots the server uses', () => {
    const grid = bucketedGrid(2, 100)
    // The answer: two buckets, the second ending at its first slot's value.
    const curve = LiveCurve.fromAnswer(grid, { runId: 'r', y: Float64Array.from([5, 4, 6, 5, 3, 3, 3, 3]) }, 0, 150, true)
    // Past the answer: bucket 2 (x 200..300) gets its own four slots, whatever the steps.
    let effect = curve.append(210, 9)
    expect(effect.points.map((p) => [p.x, p.y])).toEqual([[200, 9], [225, 9], [250, 9], [275, 9]])
    curve.append(230, 1)
    effect = curve.append(260, 7)
    expect(effect.points.map((p) => [p.x, p.y])).toEqual([[200, 9], [225, 9], [250, 1], [275, 7]])
    expect(effect.cleared).toEqual([])
    // Four points per bucket, not one per step.
    expect(curve.points.map((p) => p.x)).toEqual([...grid, 200, 225, 250, 275])
    effect = curve.append(420, 2)
    expect(effect.points.map((p) => p.x)).toEqual([400, 425, 450, 475])
    expect(curve.points).toHaveLength(16)
  })

  it('folds the smoothed value (smoothing comes before folding) and the raw value each into their own slots', () => {
    const curve = LiveCurve.fromAnswer(bucketedGrid(1, 10), { runId: 'r', y: Float64Array.from([1, 1, 1, 1]), raw: Float64Array.from([1, 1, 1, 1]) }, 0.5, 4, true)
    curve.append(10, 3)
    const effect = curve.append(11, 5)
    const smoothed = effect.points.map((p) => p.y)
    expect(effect.points.map((p) => p.raw)).toEqual([3, 3, 5, 5])
    // The EMA continues over both points; min and max of the smoothed values.
    expect(smoothed[0]).toBeLessThan(3)
    expect(smoothed[3]).toBeLessThan(5)
    expect(smoothed[3]).toBeGreaterThan(smoothed[0]!)
  })

  it('continues the bucket a run behind the others ended in, from that bucket\'s slots', () => {
    const grid = bucketedGrid(4, 10)
    // This run's points end in bucket 1 (x 10..20); the others went on to bucket 3.
    const y = Float64Array.from([4, 4, 4, 4, 2, 1, 3, 2, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN])
    const curve = LiveCurve.fromAnswer(grid, { runId: 'r', y }, 0, 20, true)
    const effect = curve.append(18, 0.5)
    expect(effect.points.map((p) => [p.x, p.y])).toEqual([[10, 2], [12.5, 3], [15, 0.5], [17.5, 0.5]])
    expect(effect.kind).toBe('append')
  })
})

describe('the items of a panel\'s curves series', () => {
  const points = (xs: number[], y: (x: number) => number) => xs.map((x) => ({ x, y: y(x), raw: -y(x) }))

  it('holds every curve\'s value at each x of any curve, in increasing x, and nothing where a curve has no point', () => {
    const grid = CurveGrid.from([points([0, 2, 4], (x) => x), points([1, 2, 3], (x) => 10 * x), []], true)
    expect(grid.items.map((i) => i.time)).toEqual([0, 1, 2, 3, 4])
    expect(grid.items.map((i) => i.y)).toEqual([[0, undefined, undefined], [undefined, 10, undefined], [2, 20, undefined], [undefined, 30, undefined], [4, undefined, undefined]])
    expect(grid.items[2]!.raw).toEqual([-2, -20, undefined])
    // Unsmoothed curves draw no raw line.
    expect(CurveGrid.from([points([0], (x) => x)], false).items[0]!.raw).toBeUndefined()
  })

  it('takes live points into the item at their x, a new last item, or a new item between two (which the series must take whole)', () => {
    const grid = CurveGrid.from([points([0, 10], (x) => x), points([0, 10], (x) => x)], false)
    expect(grid.set(1, { x: 10, y: 7, raw: 7 })).toMatchObject({ change: 'update', item: { time: 10, y: [10, 7] } })
    expect(grid.set(0, { x: 20, y: 5, raw: 5 })).toMatchObject({ change: 'append', item: { time: 20, y: [5, undefined] } })
    expect(grid.set(1, { x: 15, y: 6, raw: 6 })).toMatchObject({ change: 'insert', item: { time: 15, y: [undefined, 6] } })
    expect(grid.items.map((i) => i.time)).toEqual([0, 10, 15, 20])
    expect(grid.lastX).toBe(20)
    // The crosshair synced from another panel lands on the item nearest its x.
    expect(grid.at(11)?.time).toBe(10)
    expect(grid.at(13)?.time).toBe(15)
    expect(grid.at(15)?.time).toBe(15)
    expect(grid.at(21)?.time).toBe(20)
  })

  /** Index of each real item: where lightweight-charts draws it. */
  const realIndices = (grid: CurveGrid) => grid.items.flatMap((item, i): [number, number][] => (isBlank(item) ? [] : [[item.time, i]]))

  it('puts each x at an index proportional to it: blank items fill the gaps of curves logged at different intervals', () => {
    const grid = CurveGrid.from([points([0, 10, 20, 30], (x) => x), points([0, 3, 6, 9, 12], (x) => x)], false)
    expect(grid.unit).toBe(1)
    expect(grid.items).toHaveLength(31)
    for (const [x, i] of realIndices(grid)) expect(i).toBe(x)
    // A blank item holds no value for any curve.
    expect(grid.items[1]!.y[0]).toBeUndefined()
    expect(grid.items[1]!.y[1]).toBeUndefined()
  })

  it('keeps a bucketed answer with empty buckets proportional', () => {
    const xs = m4Grid(0, 400, 4).filter((x) => x < 100 || x >= 300)
    const grid = CurveGrid.from([points(xs, () => 1)], false)
    expect(grid.unit).toBe(25)
    for (const [x, i] of realIndices(grid)) expect(i).toBe(x / 25)
  })

  it('caps the blanks: one point far away cannot make millions of items', () => {
    const grid = CurveGrid.from([points([0, 1, 2, 3, 1e9], (x) => x)], false)
    expect(grid.items.length).toBeLessThan(5000)
    const indices = realIndices(grid).map(([, i]) => i)
    expect(indices.slice(0, 4)).toEqual([0, 1, 2, 3])
    expect(indices[4]).toBe(grid.items.length - 1)
  })

  it('fills a live gap with blanks, replaces a blank a live point lands on, and lays out whole again for denser points', () => {
    const grid = CurveGrid.from([points([0, 10, 20], (x) => x), points([0, 20], (x) => x)], false)
    // Curve 1 at 30, then 60: two blank slots between.
    expect(grid.set(1, { x: 30, y: 3, raw: 3 })).toMatchObject({ change: 'append', blanks: [] })
    const jump = grid.set(1, { x: 60, y: 6, raw: 6 })
    expect(jump.change).toBe('append')
    expect(jump.blanks.map((b) => b.time)).toEqual([40, 50])
    expect(realIndices(grid)).toEqual([[0, 0], [10, 1], [20, 2], [30, 3], [60, 6]])
    // Curve 0 catches up on a blank slot: the item at 40 becomes real, in place.
    const caught = grid.set(0, { x: 40, y: 4, raw: 4 })
    expect(caught).toMatchObject({ change: 'update', item: { time: 40, y: [4, undefined] } })
    expect(grid.items[4]).toBe(caught.item)
    expect(grid.holds(jump.blanks[0]!)).toBe(false)
    // A point 1 past the last when the unit is 10: the layout must be made again.
    expect(grid.set(1, { x: 61, y: 6, raw: 6 }).change).toBe('insert')
    const relaid = CurveGrid.from([points([0, 10, 20, 30, 40], (x) => x), points([0, 20, 30, 60, 61], (x) => x)], false)
    expect(relaid.unit).toBe(1)
    expect(realIndices(relaid).at(-1)).toEqual([61, 61])
  })

  it('reads each curve\'s nearest value within reach: curves on other x values still show one', () => {
    // Wall-clock x: each run logs at its own times.
    const grid = CurveGrid.from([points([0, 100, 200], (x) => x), points([40, 140, 240], (x) => -x), points([5000], () => 9)], false)
    const i = grid.indexOf(100)
    expect(grid.valuesNear(i, 60)).toEqual([100, -140, undefined])
    expect(grid.valuesNear(i, 10)).toEqual([100, undefined, undefined])
  })

  it('gives a crosshair on a blank slot the values of the nearest real item', () => {
    const grid = CurveGrid.from([points([0, 1, 10], (x) => x + 1)], false)
    expect(isBlank(grid.items[2]!)).toBe(true)
    expect(grid.nearestReal(2)?.y).toEqual([2])
    expect(grid.nearestReal(8)?.y).toEqual([11])
    expect(grid.nearestReal(10)?.y).toEqual([11])
  })
})

describe('view state in the URL', () => {
  it('round-trips every setting and leaves defaults out', () => {
    const state = {
      ...DEFAULT_VIEW, experiments: ['366321049169809600', '1'], filter: "params.opt = 'a,b' AND metrics.loss < 1", sort: [{ column: 'metrics.`val loss`', desc: true }, { column: 'run_name', desc: false }],
      columns: ['params.lr', 'metrics.min.loss', 'tags.`a,b`'], selected: ['abc', 'def'], metrics: ['loss', 'acc'], smoothing: 0.6, logY: true, x: 'wall' as const, panel: 'compare' as const, stopping: 'asha' as const,
      brushes: [{ column: 'params.lr', lo: 0, hi: 0.5, clause: 'params.lr >= 0.001 AND params.lr <= 0.05' }, { column: 'tags.`a,b`', lo: 0.4, hi: 1, clause: "tags.`a,b` IN ('it''s')" }],
    }
    expect(parseViewState(serializeViewState(state))).toEqual(state)
    expect(serializeViewState(DEFAULT_VIEW)).toBe('')
    expect(parseViewState('?smooth=7&x=epoch&brush=nonsense&brush=%5B1%5D')).toMatchObject({ smoothing: 0, x: 'step', brushes: [] })
    // Links from before multi-experiment URLs still open.
    expect(parseViewState('?experiment=5&metric=loss')).toMatchObject({ experiments: ['5'], metrics: ['loss'] })
  })
})

describe('the table reads pages', () => {
  const query: RunsQuery = { experimentIds: ['1'], filter: '', orderBy: [], columns: ['run_name'] }
  const fakeServer = (total: number) => {
    const calls: number[] = []
    const fetchPage = async (_q: RunsQuery, offset: number, limit: number) => {
      calls.push(offset)
      const ids = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => `run-${offset + i}`)
      return { total, offset, runIds: ids, columns: { run_name: ids } }
    }
    return { calls, fetchPage }
  }

  it('fetches only the pages in view, once, and answers rows by index', async () => {
    const server = fakeServer(10_000)
    const pages = new RunPages(server.fetchPage)
    pages.setQuery(query)
    await pages.ensure(250, 290)
    await pages.ensure(250, 290)
    expect(server.calls).toEqual([0, 2 * PAGE_SIZE])
    expect(pages.total).toBe(10_000)
    expect(pages.row(260)).toEqual({ runId: 'run-260', values: { run_name: 'run-260' } })
    expect(pages.row(5000)).toBeUndefined()
  })

  it('keeps the first page (the charts\' runs) while scrolled far away, and reads it again on a refresh', async () => {
    const server = fakeServer(10_000)
    const pages = new RunPages(server.fetchPage)
    pages.setQuery(query)
    await pages.ensure(0, 40)
    await pages.ensure(9_950, 9_990)
    expect(pages.rows(0, 10).map((r) => r.runId)).toEqual(Array.from({ length: 10 }, (_, i) => `run-${i}`))
    expect(pages.row(150)).toBeUndefined()
    server.calls.length = 0
    await pages.refresh()
    expect(server.calls.sort((a, b) => a - b)).toEqual([0, 99 * PAGE_SIZE])
    expect(pages.row(3)?.runId).toBe('run-3')
  })

  it('keeps the rows shown while the server cannot be reached, and reads the new query once it is back', async () => {
    let down = false
    const pages = new RunPages(async (q, offset) => {
      if (down) throw new TypeError('Failed to fetch')
      if (q.filter === 'bad') throw new Error("expected a number after '<'")
      return { total: 1, offset, runIds: [`run-${q.filter}`], columns: { run_name: [q.filter] } }
    })
    pages.setQuery({ ...query, filter: 'a' })
    await pages.ensure(0, 10)
    down = true
    pages.setQuery({ ...query, filter: 'b' })
    await pages.ensure(0, 10)
    expect([pages.row(0)?.runId, pages.total, pages.error]).toEqual(['run-a', 1, UNREACHABLE])
    down = false
    await pages.retry()
    expect([pages.row(0)?.runId, pages.error]).toEqual(['run-b', undefined])
    // A query the server refuses shows no rows of the one before.
    pages.setQuery({ ...query, filter: 'bad' })
    await pages.ensure(0, 10)
    expect([pages.row(0), pages.total]).toEqual([undefined, undefined])
  })

  it('drops answers to an older query, and patches a live change into a held row', async () => {
    let release!: () => void
    const slow = new Promise<void>((r) => (release = r))
    const pages = new RunPages(async (q, offset) => {
      if (q.filter === 'old') await slow
      return { total: 1, offset, runIds: ['x'], columns: { run_name: [q.filter] } }
    })
    pages.setQuery({ ...query, filter: 'old' })
    const old = pages.ensure(0, 10)
    pages.setQuery({ ...query, filter: 'new' })
    await pages.ensure(0, 10)
    release()
    await old
    expect(pages.row(0)?.values.run_name).toBe('new')
    pages.patch(new Map([['x', { status: 'FINISHED' }]]))
    expect(pages.row(0)?.values).toEqual({ run_name: 'new', status: 'FINISHED' })
  })

  it('shows the rows of the query before until a new filter answers, but not when the columns change', async () => {
    const answers: { resolve: () => void; filter: string }[] = []
    const pages = new RunPages(async (q, offset) => {
      await new Promise<void>((resolve) => answers.push({ resolve, filter: q.filter }))
      return { total: q.filter === 'a' ? 1 : 2, offset, runIds: ['x'], columns: { run_name: [q.filter] } }
    })
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 0))
      for (const a of answers.splice(0)) a.resolve()
      await new Promise((r) => setTimeout(r, 0))
    }
    pages.setQuery({ ...query, filter: 'a' })
    void pages.ensure(0, 10)
    await settle()
    pages.setQuery({ ...query, filter: 'b' })
    expect([pages.total, pages.row(0)?.values.run_name, pages.shownQuery?.filter]).toEqual([1, 'a', 'a'])
    await settle()
    expect([pages.total, pages.row(0)?.values.run_name, pages.shownQuery?.filter]).toEqual([2, 'b', 'b'])
    pages.setQuery({ ...query, filter: 'b', columns: ['run_name', 'params.lr'] })
    expect([pages.total, pages.row(0)]).toEqual([undefined, undefined])
  })
})

describe('filter autocompletion', () => {
  const keys = { metrics: ['loss', 'val_loss', 'acc'], params: ['lr', 'learning rate'], tags: ['model'] }
  it('offers entities, then keys in use (quoted when needed), then operators — and the result parses', () => {
    expect(suggestFilter('me', 2, keys).items).toEqual(['metrics.'])
    expect(suggestFilter('metrics.', 8, keys).items).toEqual(['loss', 'val_loss', 'acc'])
    expect(suggestFilter('metrics.lo', 10, keys).items).toEqual(['loss', 'val_loss'])
    expect(suggestFilter('params.le', 9, keys).items).toEqual(['`learning rate`'])
    expect(suggestFilter('metrics.loss ', 13, keys).items).toContain('<')
    expect(suggestFilter("params.lr = '1' AND ta", 22, keys).items).toEqual(['tags.'])
    let text = 'params.le'
    const s = suggestFilter(text, text.length, keys)
    const done = applySuggestion(text, text.length, s, s.items[0]!)
    text = `${done.text}= '0.1'`
    expect(text).toBe("params.`learning rate` = '0.1'")
    expect(() => parseFilter(text, 'runwatch')).not.toThrow()
    // Every comparison a param takes, numeric ones included; no second space before one already there.
    expect(suggestFilter('params.lr ', 10, keys).items).toEqual(expect.arrayContaining(['<', '<=', '>', '>=', '=', 'IN']))
    const middle = 'params.l = 1'
    expect(applySuggestion(middle, 8, suggestFilter(middle, 8, keys), 'lr')).toEqual({ text: 'params.lr = 1', caret: 9 })
  })
})

describe('brushing the comparison plots', () => {
  it('turns a numeric brush into a range and a categorical brush into an IN list that the grammar accepts', () => {
    const lr = buildAxis('params.lr', ['0.1', '0.05', '0.01', null])
    expect(lr).toMatchObject({ kind: 'numeric', min: 0.01, max: 0.1, log: false })
    const clause = brushClause(lr, { lo: 0, hi: 0.5 })
    expect(clause).toBe('params.lr >= 0.01 AND params.lr <= 0.05500000000000001')
    expect([0, 1, 2, 3].map((i) => inBrush(lr, i, { lo: 0, hi: 0.5 }))).toEqual([false, true, true, false])
    // Values spanning decades sit on a log axis: 0.01 in the middle of 0.001 … 0.1, and a brush there keeps it alone.
    const decades = buildAxis('params.lr', ['0.1', '0.01', '0.001'])
    expect(decades).toMatchObject({ kind: 'numeric', log: true })
    expect(position(decades, 1)).toBeCloseTo(0.5, 12)
    const middle = brushClause(decades, { lo: 0.4, hi: 0.6 })
    expect(middle).toBe('params.lr >= 0.006309573444801936 AND params.lr <= 0.01584893192461114')
    expect([0, 1, 2].map((i) => inBrush(decades, i, { lo: 0.4, hi: 0.6 }))).toEqual([false, true, false])
    const opt = buildAxis('params.optimizer', ['sgd', 'adam', "it's", 'adam'])
    expect(brushClause(opt, { lo: 0.4, hi: 1 })).toBe("params.optimizer IN ('it''s', 'sgd')")
    // Tags compare as text even when they look like numbers.
    expect(buildAxis('tags.seed', ['1', '2']).kind).toBe('category')
    for (const c of [clause, middle, brushClause(opt, { lo: 0.4, hi: 1 })]) expect(() => parseFilter(c, 'runwatch')).not.toThrow()
  })
})

describe('columns and artifact previews', () => {
  it('names columns as the search grammar does', () => {
    expect(columnId('param', 'learning rate')).toBe('params.`learning rate`')
    expect(columnId('metric', 'loss', 'min')).toBe('metrics.min.loss')
    expect(parseColumnId('metrics.max.val_loss')).toMatchObject({ kind: 'metric', key: 'val_loss', aggregate: 'max', label: 'val_loss (max)' })
    expect(parseColumnId('tags.`mlflow.note`')).toMatchObject({ kind: 'tag', key: 'mlflow.note' })
  })

  it('previews by kind and reads only the start of a large file', async () => {
    expect(['a/MLmodel', 'x.PNG', 'm.json', 't.tsv', 'notes.txt', 'model.pkl'].map(previewKind)).toEqual(['text', 'image', 'json', 'csv', 'text', 'none'])
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode('x'.repeat(16 * 1024)))
      },
    })
    const { text, complete } = await readStart(new Response(body), 64 * 1024)
    expect(text.length).toBe(64 * 1024)
    expect(complete).toBe(false)
    expect(pulled).toBeLessThan(8)
    expect(csvRows('a,b\n"x, y",2\n', ',')).toEqual([['a', 'b'], ['x, y', '2']])
  })
})

describe('nested runs', () => {
  it('moves children that share the page with their parent right below it, siblings in server order', () => {
    const row = (runId: string, parent?: string) => ({ runId, values: { parent: parent ?? null } })
    const rows = [row('c1', 'p'), row('x'), row('p'), row('c2', 'p'), row('g', 'c2'), row('orphan', 'elsewhere'), row('loop1', 'loop2'), row('loop2', 'loop1')]
    expect(nestUnderParents(rows, 'parent').map((r) => r.runId)).toEqual(['x', 'p', 'c1', 'c2', 'g', 'orphan', 'loop1', 'loop2'])
    const flat = [row('a'), row('b')]
    expect(nestUnderParents(flat, 'parent')).toBe(flat)
  })
})

describe('run colours', () => {
  // Every run prefers slot 0: the worst case of a hash.
  const same = () => 0
  it('gives the runs shown together distinct colours, each keeping the one it has', () => {
    const first = distinctSlots(['a', 'b', 'c'], new Map(), same, 4)
    expect([...first.values()]).toEqual([0, 1, 2])
    // A new run first in order does not take a colour from the runs already shown.
    const next = distinctSlots(['d', 'a', 'b', 'c'], first, same, 4)
    expect([next.get('a'), next.get('b'), next.get('c'), next.get('d')]).toEqual([0, 1, 2, 3])
    // More runs than colours: the rest keep their preferred one.
    expect(distinctSlots(['a', 'b', 'c', 'd', 'e'], next, same, 4).get('e')).toBe(0)
  })

  it('are the same for the same runs in the same order, and by id without an assignment', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `run-${i}`)
    const a = distinctSlots(ids, new Map())
    expect(distinctSlots(ids, new Map())).toEqual(a)
    expect(new Set(a.values()).size).toBe(10)
    expect(colorFor('never-shown')).toBe(colorFor('never-shown'))
  })
})

describe('formats', () => {
  it('shows long spans in days, and numbered keys in number order', () => {
    expect(formatDuration(90 * 60_000)).toBe('1h 30m')
    expect(formatDuration(1594 * 3_600_000 + 9 * 60_000)).toBe('66d 10h')
    expect(['metric_10', 'metric_2', 'metric_1', 'lr'].sort(naturalOrder)).toEqual(['lr', 'metric_1', 'metric_2', 'metric_10'])
  })
})

describe('run descriptions in Markdown', () => {
  it('reads headings, paragraphs, lists, code and emphasis, and links only to http(s)', () => {
    const blocks = parseMarkdown('# Sweep\nLower **lr** than\nrun_12, see [the doc](https://x.org/a).\n\n- one `a*b`\n- two\n\n1. first\n```\nx = 1\n```\n[bad](javascript:void) <b>raw</b>')
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'list', 'code', 'paragraph'])
    expect(blocks[1]).toEqual({ kind: 'paragraph', content: [
      { kind: 'text', text: 'Lower ' }, { kind: 'strong', children: [{ kind: 'text', text: 'lr' }] }, { kind: 'text', text: ' than run_12, see ' },
      { kind: 'link', href: 'https://x.org/a', children: [{ kind: 'text', text: 'the doc' }] }, { kind: 'text', text: '.' },
    ] })
    expect(blocks[2]).toEqual({ kind: 'list', ordered: false, items: [[{ kind: 'text', text: 'one ' }, { kind: 'code', text: 'a*b' }], [{ kind: 'text', text: 'two' }]] })
    expect(blocks[4]).toEqual({ kind: 'code', text: 'x = 1' })
    // A script link is no link; markup stays text.
    expect(blocks[5]).toEqual({ kind: 'paragraph', content: [{ kind: 'em', children: [{ kind: 'text', text: 'bad' }] }, { kind: 'text', text: ' <b>raw</b>' }] })
    expect(parseInline('snake_case_name and 2*3*4')).toEqual([{ kind: 'text', text: 'snake_case_name and 2*3*4' }])
    expect(parseInline('an *emphasised* word')[1]).toEqual({ kind: 'em', children: [{ kind: 'text', text: 'emphasised' }] })
  })
})

describe('keys a filter names that no run has', () => {
  it('are listed, except under IS NULL', () => {
    const keys = { metrics: ['loss'], params: ['lr'], tags: ['model'] }
    const ast = parseFilter("metrics.loss < 1 AND (params.lr = '0.1' OR metrics.val_los < 2) AND NOT tags.modle = 'x' AND tags.other IS NULL AND attributes.status = 'RUNNING'", 'runwatch')
    expect(unknownKeys(ast, keys)).toEqual(['metrics.val_los', 'tags.modle'])
    expect(unknownKeys(undefined, keys)).toEqual([])
  })
})

describe('the chart\'s x values as they read', () => {
  it('shows relative time as a duration to the precision that matters at its size', () => {
    expect(formatElapsed(450)).toBe('450ms')
    expect(formatElapsed(8_600)).toBe('8.6s')
    expect(formatElapsed(45_000)).toBe('45s')
    expect(formatElapsed(90_000)).toBe('1m30s')
    expect(formatElapsed(2 * 3_600_000 + 5 * 60_000)).toBe('2h05m')
    expect(formatElapsed(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d04h')
    expect(formatX('relative', 90_000)).toBe('1m30s')
  })

  it('shows wall time as a local date and time, ticks as precise as the axis span needs', () => {
    const at = new Date(2026, 10, 27, 14, 3, 5, 250).getTime()
    expect(formatX('wall', at)).toBe('2026-11-27 14:03:05.250')
    expect(formatXTick('wall', at, 2_000)).toBe('14:03:05.250')
    expect(formatXTick('wall', at, 600_000)).toBe('14:03:05')
    expect(formatXTick('wall', at, 7_200_000)).toBe('14:03')
    // On an axis of three days, five minutes is nothing: the tick reads the nearest half hour.
    expect(formatXTick('wall', at, 3 * 86_400_000)).toBe('11-27 14:00')
    // The axis leaves room for the longest label of its span.
    expect(xTickLength('wall', 3 * 86_400_000)).toBe('11-27 14:03'.length)
    expect(xTickLength('wall', 2_000)).toBe('14:03:05.250'.length)
  })

  it('puts ticks on the roundest items: round numbers of steps, whole units of time', () => {
    const best = (mode: 'step' | 'wall', xs: number[]) => xs.reduce((a, b) => (tickWeight(mode, b) > tickWeight(mode, a) ? b : a))
    expect(best('step', [150, 175, 200, 225])).toBe(200)
    expect(best('step', [900, 950, 1000, 1050])).toBe(1000)
    expect(best('step', [12.5, 25, 37.5])).toBe(25)
    expect(tickWeight('step', 500)).toBeGreaterThan(tickWeight('step', 200))
    expect(tickWeight('step', 200)).toBeGreaterThan(tickWeight('step', 110))
    const minute = 1.7e12 + 60_000 * 7 - (1.7e12 % 60_000)
    expect(best('wall', [minute - 15_000, minute - 2_500, minute, minute + 500])).toBe(minute)
    // Logged times seldom fall on a whole second: one 13 ms off ticks as that second, on an axis of a minute.
    expect(tickWeight('relative', 2_987, 60_000)).toBeGreaterThan(tickWeight('relative', 2_500, 60_000))
    expect(formatXTick('relative', 2_987, 60_000)).toBe('3s')
    expect(formatXTick('relative', 61_900, 600_000)).toBe('1m00s')
    // On an axis of two seconds, 13 ms is not nothing.
    expect(formatXTick('relative', 2_987, 2_000)).toBe('3s')
    expect(tickWeight('relative', 2_987, 2_000)).toBeLessThan(tickWeight('relative', 3_000, 2_000))
  })

  it('shows steps as whole numbers (a bucket slot lies between steps)', () => {
    expect(formatX('step', 1234.25)).toBe('1234')
    expect(formatXTick('step', 20, 100)).toBe('20')
  })
})

describe('value axis labels', () => {
  it('read as few digits as the value needs, and float noise as 0', () => {
    expect([0.5, 1, 1.5, 0.25, 2.7777e-16, -3.1e-17, 123.456].map(priceFormatter)).toEqual(['0.5', '1', '1.5', '0.25', '0', '0', '123.5'])
    expect(priceFormatter(12345)).toBe('1.23e+4')
    expect(priceFormatter(0.0001234)).toBe('1.23e-4')
  })
})
