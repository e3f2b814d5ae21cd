// The one ingestion path: store events → DuckDB index → live hub, each batch
// on the serial queue so subscribers see every change exactly once.
import type { EventSink } from '../ingest-watch/events.ts'
import { mergeMetricEvents } from '../ingest-watch/merge-events.ts'
import type { RunIndex } from './index/run-index.ts'
import { RunSummaryCache } from './index/summary-cache.ts'
import type { LiveHub } from './live/hub.ts'
import type { SerialQueue } from './serial-queue.ts'

/** Latest metric values in `runs` frames, early-stopping signals and the chart overview blocks follow points at this pace, not per batch. */
export const REFRESH_MS = 250

export interface Ingestion {
  sink: EventSink
  /** Stops the refreshes; resolves once the last one has settled (the index can then be closed). */
  stop(): Promise<void>
}

export function startIngestion(index: RunIndex, hub: LiveHub, queue: SerialQueue, refreshMs = REFRESH_MS): Ingestion {
  // Runs with new points since the last refresh: their summaries (latest values) go out together.
  let dirty = new Set<string>()
  const sink: EventSink = (events) =>
    queue.run(async () => {
      // Events that piled up while the previous batch was applied go out together: one frame per series.
      // Points alone go out as soon as their positions are known, before DuckDB stores them.
      const changes = await index.apply(mergeMetricEvents(events), (batches) => hub.publishStaged(batches))
      const upsert =
        hub.clientCount > 0 && changes.changedRunIds.length > 0
          ? await index.runSummaries({ runIds: changes.changedRunIds, includeDeleted: true })
          : []
      for (const b of changes.batches) dirty.add(b.runId)
      for (const id of changes.changedRunIds) dirty.delete(id)
      for (const id of changes.removedRunIds) dirty.delete(id)
      hub.signals.noteChanges(changes.changedRunIds.length + changes.removedRunIds.length > 0, changes.batches)
      await hub.publish({ upsert, remove: changes.removedRunIds, batches: changes.batches, pointsSent: changes.staged === true })
    })
  const summaries = new RunSummaryCache(index)
  // Only the publish is on the queue: the blocks and the summaries' DuckDB reads are not (see flushBlocks,
  // RunSummaryCache.prepare), so points arriving meanwhile wait for little.
  const refresh = async () => {
    await index.flushBlocks()
    const runIds = [...dirty]
    dirty = new Set()
    const prepared = hub.clientCount > 0 && runIds.length > 0 ? await summaries.prepare(runIds) : undefined
    try {
      await queue.run(async () => {
        const signals = hub.signals.active ? await hub.signals.update() : undefined
        const signalsMoved = [...(signals?.values() ?? [])].some((u) => u.changed.length > 0 || u.band)
        const upsert = prepared?.finish() ?? []
        if ((upsert.length === 0 && !signalsMoved) || hub.clientCount === 0) return
        await hub.publish({ upsert, remove: [], batches: [], ...(signals ? { signals } : {}) })
      })
    } finally {
      prepared?.finish()
    }
  }
  const inFlight = new Set<Promise<void>>()
  const timer = setInterval(() => {
    const done = refresh()
      .catch((err: unknown) => hub.log(`refresh failed: ${(err as Error).message}`))
      .finally(() => inFlight.delete(done))
    inFlight.add(done)
  }, refreshMs)
  timer.unref()
  return {
    sink,
    stop: async () => {
      clearInterval(timer)
      await Promise.all(inFlight)
    },
  }
}
