// A client that stops reading must not hold up others nor grow the server's
// memory without bound — and, once it reads again, it still gets every point.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'
import { MlflowFileStoreWriter, metricLines } from '../demo/mlflow-file-writer.ts'
import type { ServerMessage } from '../protocol/index.ts'
import { tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'
import { waitFor } from './helpers/wait.ts'

const LIMIT = 512 * 1024

describe('a client that stops reading', () => {
  let server: Awaited<ReturnType<typeof serveStore>>
  let cleanup: () => void
  let writer: MlflowFileStoreWriter
  let run: string
  let exp: string
  beforeAll(async () => {
    const dir = tempDir()
    cleanup = dir.remove
    writer = new MlflowFileStoreWriter(join(dir.path, 'mlruns'))
    exp = writer.createExperiment('flood')
    run = writer.createRun(exp, { name: 'r' })
    writer.logMetric(run, 'loss', [{ timestamp: 0, value: 0, step: 0 }])
    server = await serveStore({ kind: 'file', path: join(dir.path, 'mlruns') }, { maxClientBufferBytes: LIMIT })
  })
  afterAll(async () => {
    await server.close()
    cleanup()
  })

  it('is told to resync instead of being queued for without limit; a reading client gets every point meanwhile', { timeout: 60_000 }, async () => {
    const url = `${server.url.replace('http', 'ws')}/ws`
    const steps = new Map<string, number[]>([['stalled', []], ['reader', []]])
    const messages: ServerMessage[] = []
    let stalledSocket: WebSocket | undefined
    const connect = (name: string) =>
      new LiveConnection({
        url,
        createSocket: (u) => {
          const ws = new WebSocket(u)
          if (name === 'stalled') stalledSocket = ws
          return ws as unknown as WebSocketLike
        },
        onMessage: (m) => {
          if (name === 'stalled') messages.push(m)
          if (m.type === 'points') steps.get(name)!.push(...m.step)
        },
      })
    const stalled = connect('stalled')
    const reader = connect('reader')
    for (const c of [stalled, reader]) c.subscribe({ sub: 's', experimentIds: [exp], metrics: ['loss'] })
    await waitFor(() => steps.get('stalled')!.length === 1 && steps.get('reader')!.length === 1, 'both subscribed')
    // Stop reading: the kernel buffers fill, then the server's send buffer for this socket.
    const socket = (stalledSocket as unknown as { _socket: { pause(): void; resume(): void } })._socket
    socket.pause()
    const file = writer.metricPath(run, 'loss')
    const total = 200_000
    for (let from = 1; from <= total; from += 20_000) {
      appendFileSync(file, metricLines(Array.from({ length: 20_000 }, (_, i) => ({ timestamp: from + i, value: Math.PI * (from + i), step: from + i }))))
      await new Promise((r) => setTimeout(r, 20))
    }
    await waitFor(() => steps.get('reader')!.length === total + 1, 'every point at the reading client', 30_000)
    expect(server.hub.clientCount).toBe(2)
    socket.resume()
    await waitFor(() => steps.get('stalled')!.length >= total + 1, 'the stalled client caught up after resync', 30_000)
    // A second snapshot means the server stopped queueing for it and it resubscribed from its cursor.
    expect(messages.filter((m) => m.type === 'synced')).toHaveLength(2)
    const got = steps.get('stalled')!
    expect(new Set(got).size).toBe(got.length)
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: total + 1 }, (_, i) => i))
    stalled.close()
    reader.close()
  })
})
