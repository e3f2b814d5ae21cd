// Starts runwatch on one store: index, live hub, HTTP + WebSocket server, and
// the store reader. Used by the CLI, the tests and the benchmarks.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { FileStoreSource } from '../ingest-watch/file-store/source.ts'
import { SqliteStoreSource } from '../ingest-watch/sqlite-store/source.ts'
import type { StoreSource } from '../ingest-watch/events.ts'
import type { StoreLocation } from '../ingest-watch/store-uri.ts'
import { createApp } from './app.ts'
import { RunIndex } from './index/run-index.ts'
import { LiveHub } from './live/hub.ts'
import { keepAlive } from './live/keepalive.ts'
import { startIngestion } from './pipeline.ts'
import { SerialQueue } from './serial-queue.ts'
import type { HealthSettings } from './signals/health.ts'
import { refreshCadence } from './signals/cadence.ts'
import { HealthWatch } from './signals/health-watch.ts'

export interface StartOptions {
  store: StoreLocation
  host: string
  port: number
  demo?: boolean
  clientDir?: string
  log?: (message: string) => void
  /** How often /ws peers are pinged; one that misses a ping is dropped. */
  pingIntervalMs?: number
  /** Unsent bytes after which a live client is dropped (it reconnects with a fresh snapshot). */
  maxClientBufferBytes?: number
  /** How run health is judged (defaults in server/signals/health.ts). */
  health?: Partial<HealthSettings>
  /** The clock for run health (tests set it). */
  now?: () => number
  /** How often RUNNING runs are checked for a health that changed with time alone. */
  healthCheckMs?: number
}

export interface RunningServer {
  url: string
  index: RunIndex
  hub: LiveHub
  source: StoreSource
  close(): Promise<void>
}

export class StartError extends Error {}

/** Largest frame a client may send; subscribe messages are small. */
const MAX_CLIENT_FRAME_BYTES = 1024 * 1024

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => console.error(`runwatch: ${m}`))
  const index = await RunIndex.open({ health: options.health, now: options.now })
  const queue = new SerialQueue()
  const hub = new LiveHub(index, queue, log, options.maxClientBufferBytes)
  const app = createApp({
    index,
    hub,
    clientDir: options.clientDir,
    store: { kind: options.store.kind, path: options.store.path, demo: options.demo ?? false },
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES })
  const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host, websocket: { server: wss } })
  const stopKeepAlive = keepAlive(wss, options.pingIntervalMs ?? 30_000)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
  } catch (err) {
    stopKeepAlive()
    index.close()
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new StartError(`port ${options.port} on ${options.host} is already in use; choose another with --port`)
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new StartError(`cannot bind to host ${options.host}: no such local address`)
    if (code === 'EACCES') throw new StartError(`no permission to listen on port ${options.port}; choose a port above 1023`)
    throw err
  }
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host

  const ingestion = startIngestion(index, hub, queue)
  const healthWatch = new HealthWatch(index, hub, queue)
  // The first pass over the RUNNING runs' logging intervals is startup work like the chart overviews:
  // done before the index counts as settled, not beside the first queries.
  index.afterInitialScan(() => refreshCadence(index))
  const source: StoreSource =
    options.store.kind === 'sqlite' ? new SqliteStoreSource(options.store.path, { log }) : new FileStoreSource(options.store.path, { log })
  try {
    index.beginBulkLoad()
    await source.start(ingestion.sink)
    // The scan's deferred params, tags and latest values go in before anything counts as indexed.
    await queue.run(() => index.finishScan())
    hub.indexed()
    // Queued ahead of the first subscriptions' snapshots: they and the checks share one baseline.
    void healthWatch.start(options.healthCheckMs).catch((err: unknown) => log(`health check failed: ${(err as Error).message}`))
    // The coarse blocks for chart overviews are built behind the ready line; until then series queries read points.
    void queue.run(() => index.endBulkLoad()).catch((err: unknown) => log(`building chart overviews failed: ${(err as Error).message}`))
  } catch (err) {
    stopKeepAlive()
    await ingestion.stop()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    index.close()
    throw new StartError(`cannot read ${options.store.path}: ${(err as Error).message}`)
  }

  return {
    url: `http://${host}:${port}`,
    index,
    hub,
    source,
    async close() {
      stopKeepAlive()
      await ingestion.stop()
      healthWatch.stop()
      await source.close()
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await queue.run(async () => {
        await hub.signals.close()
        index.close()
      })
    },
  }
}
