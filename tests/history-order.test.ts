// get-history returns points by step then timestamp; a series whose points
// were stored in that order is read without a sort, any other is sorted.
import { afterEach, describe, expect, it } from 'vitest'
import type { StoreEvent } from '../ingest-watch/events.ts'
import { RunIndex } from '../server/index/run-index.ts'
import { metricHistoryPage } from '../server/query/history.ts'

const open: RunIndex[] = []
afterEach(() => open.splice(0).forEach((i) => i.close()))

const run: StoreEvent = {
  type: 'run',
  run: { runId: 'a', experimentId: '1', name: 'a', status: 'RUNNING', startTime: 1, endTime: null, lifecycleStage: 'active', userId: 'u', artifactUri: '' },
}
const points = (key: string, rows: [step: number, ts: number][]): StoreEvent => ({
  type: 'metrics',
  batch: { runId: 'a', key, step: Float64Array.from(rows.map((r) => r[0])), timestamp: Float64Array.from(rows.map((r) => r[1])), value: Float64Array.from(rows.map((_, i) => i)) },
})

async function history(index: RunIndex, key: string, offset = 0, limit = 1000): Promise<[number, number][]> {
  const page = await metricHistoryPage(index, 'a', key, offset, limit)
  return Array.from({ length: page.count }, (_, i) => [page.steps[i]!, page.timestamps[i]!])
}

describe('metric history order', () => {
  it('is by step then timestamp however the points arrived', async () => {
    const index = await RunIndex.open()
    open.push(index)
    await index.apply([run, points('inOrder', [[0, 5], [1, 1], [1, 2], [2, 0]]), points('late', [[0, 1], [5, 1]])])
    // Out of order within a batch, across two batches of one apply, and after earlier batches.
    await index.apply([points('within', [[3, 1], [1, 1], [2, 1]]), points('across', [[4, 1]]), points('across', [[2, 1]])])
    await index.apply([points('late', [[3, 1]]), points('inOrder', [[2, 0], [9, 9]])])
    expect(await history(index, 'inOrder')).toEqual([[0, 5], [1, 1], [1, 2], [2, 0], [2, 0], [9, 9]])
    expect(await history(index, 'within')).toEqual([[1, 1], [2, 1], [3, 1]])
    expect(await history(index, 'across')).toEqual([[2, 1], [4, 1]])
    expect(await history(index, 'late')).toEqual([[0, 1], [3, 1], [5, 1]])
    expect(index.seriesOrder('a', 'inOrder')?.inStepOrder).toBe(true)
    expect(index.seriesOrder('a', 'late')?.inStepOrder).toBe(false)
    // Pages in either case.
    expect(await history(index, 'inOrder', 2, 3)).toEqual([[1, 2], [2, 0], [2, 0]])
    expect(await history(index, 'late', 1, 1)).toEqual([[3, 1]])
    expect(await history(index, 'missing')).toEqual([])
  })
})
