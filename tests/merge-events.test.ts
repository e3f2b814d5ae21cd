import { describe, expect, it } from 'vitest'
import type { MetricBatch, StoreEvent } from '../ingest-watch/events.ts'
import { mergeMetricEvents } from '../ingest-watch/merge-events.ts'

const points = (runId: string, key: string, steps: number[]): StoreEvent => ({
  type: 'metrics',
  batch: { runId, key, step: Float64Array.from(steps), timestamp: Float64Array.from(steps, (s) => 1000 + s), value: Float64Array.from(steps, (s) => s / 10) },
})
const steps = (e: StoreEvent) => Array.from((e as { batch: MetricBatch }).batch.step)

describe('coalescing metric events', () => {
  it('joins the points of one series into one batch, in order, at its first position', () => {
    const merged = mergeMetricEvents([points('a', 'loss', [0, 1]), points('b', 'loss', [0]), points('a', 'acc', [0]), points('a', 'loss', [2]), points('a', 'loss', [3, 4])])
    expect(merged.map((e) => (e.type === 'metrics' ? `${e.batch.runId}/${e.batch.key}` : e.type))).toEqual(['a/loss', 'b/loss', 'a/acc'])
    expect(steps(merged[0]!)).toEqual([0, 1, 2, 3, 4])
    expect(Array.from((merged[0] as { batch: MetricBatch }).batch.value)).toEqual([0, 0.1, 0.2, 0.3, 0.4])
    expect(Array.from((merged[0] as { batch: MetricBatch }).batch.timestamp)).toEqual([1000, 1001, 1002, 1003, 1004])
  })

  it('never moves points across another change to their run', () => {
    const removed: StoreEvent = { type: 'run-removed', runId: 'a' }
    const merged = mergeMetricEvents([points('a', 'loss', [0]), points('b', 'loss', [0]), removed, points('a', 'loss', [1]), points('b', 'loss', [1])])
    expect(merged.map((e) => e.type)).toEqual(['metrics', 'metrics', 'run-removed', 'metrics'])
    expect(steps(merged[0]!)).toEqual([0])
    // b's series was not touched by a's removal: its points still join.
    expect(steps(merged[1]!)).toEqual([0, 1])
    expect(steps(merged[3]!)).toEqual([1])
  })

  it('passes a batch without repeats through untouched', () => {
    const events = [points('a', 'loss', [0]), { type: 'params', runId: 'a', values: { lr: '1' } } as StoreEvent]
    expect(mergeMetricEvents(events)).toEqual(events)
  })
})
