// The one ingestion path: store events → DuckDB index → live hub, each batch
// on the serial queue so subscribers see every change exactly once.
import type { EventSink } from '../ingest-watch/events.ts'
import type { RunIndex } from './index/run-index.ts'
import type { LiveHub } from './live/hub.ts'
import type { SerialQueue } from './serial-queue.ts'

export function indexingSink(index: RunIndex, hub: LiveHub, queue: SerialQueue): EventSink {
  return (events) =>
    queue.run(async () => {
      const changes = await index.apply(events)
      const upsert =
        hub.clientCount > 0 && changes.changedRunIds.length > 0
          ? await index.runSummaries({ runIds: changes.changedRunIds, includeDeleted: true })
          : []
      await hub.publish({ upsert, remove: changes.removedRunIds, batches: changes.batches })
    })
}
