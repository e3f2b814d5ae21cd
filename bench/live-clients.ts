// Worker: N WebSocket clients subscribed to one experiment; each point's
// value is the wall-clock time (ms, sub-ms precision) it was written, so the
// latency is measured without sharing state with the writer.
import { parentPort, workerData } from 'node:worker_threads'
import { WebSocket } from 'ws'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'

const { url, experimentId, clients, sampleEvery = 1 } = workerData as { url: string; experimentId: string; clients: number; sampleEvery?: number }
const now = () => performance.timeOrigin + performance.now()
/** Every `sampleEvery`-th point's latency: a long run at 100,000 points/s would not fit them all. */
const latencies: number[] = []
let received = 0
let synced = 0
const conns = Array.from({ length: clients }, () =>
  new LiveConnection({
    url,
    createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    onMessage: (m) => {
      if (m.type === 'synced') {
        synced++
        if (synced === clients) parentPort!.postMessage({ type: 'ready' })
      }
      if (m.type !== 'points') return
      const t = now()
      for (let i = 0; i < m.step.length; i++) {
        if (m.step[i]! <= 0) continue
        if (received++ % sampleEvery === 0) latencies.push(t - (m.value[i] as number))
      }
    },
  }),
)
for (const c of conns) c.subscribe({ sub: 'bench', experimentIds: [experimentId], metrics: ['loss'] })
parentPort!.on('message', (msg: { type: string }) => {
  if (msg.type === 'report') parentPort!.postMessage({ type: 'report', latencies, received })
  if (msg.type === 'stop') conns.forEach((c) => c.close())
})
