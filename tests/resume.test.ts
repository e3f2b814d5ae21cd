// Cursors: a client that reconnects — to the same server or to a new process
// on the same store — gets exactly the points it missed.
import { appendFileSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { fromWire, type ServerMessage } from '../protocol/index.ts'
import { tempDir } from './helpers/fixtures.ts'
import { startRunwatch } from './helpers/runwatch-process.ts'
import { waitFor } from './helpers/wait.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise((r) => s.close(r))
  return port
}

async function setup() {
  const dir = tempDir()
  cleanups.push(dir.remove)
  const root = join(dir.path, 'mlruns')
  const w = new MlflowFileStoreWriter(root)
  const exp = w.createExperiment('resume')
  const runs = [0, 1].map((r) => w.createRun(exp, { name: `r${r}` }))
  let step = 0
  const append = (n: number) => {
    for (let i = 0; i < n; i++, step++) for (const run of runs) appendFileSync(w.metricPath(run, 'loss'), `${1000 + step} ${step / 7} ${step}\n`)
  }
  append(50)
  const port = await freePort()
  const start = async () => {
    const p = await startRunwatch([root, '--port', String(port)], dir.path)
    cleanups.push(() => p.stop())
    return p
  }
  const received = new Map<string, number[]>(runs.map((r) => [r, []]))
  const sockets: WebSocket[] = []
  const connect = (url: string) =>
    new LiveConnection({
      url,
      backoffMs: { min: 50, max: 200 },
      createSocket: (u) => {
        const ws = new WebSocket(u)
        sockets.push(ws)
        return ws as unknown as WebSocketLike
      },
      onMessage: (m: ServerMessage) => {
        if (m.type === 'points') received.get(m.runId)?.push(...m.step.map((s, i) => s * 1000 + Math.round(fromWire(m.value[i]!) * 7)))
      },
    })
  // What the file says, encoded as the test encodes received points: step and value together.
  const inFile = (run: string) =>
    readFileSync(w.metricPath(run, 'loss'), 'utf8').trim().split('\n').map((l) => {
      const [, v, s] = l.split(' ')
      return Number(s) * 1000 + Math.round(Number(v) * 7)
    })
  return { exp, runs, append, start, connect, received, sockets, inFile }
}

describe('resuming a live subscription with its cursor', () => {
  it('after the connection drops, receives exactly the points written meanwhile', async () => {
    const t = await setup()
    const server = await t.start()
    const conn = t.connect(`${server.url.replace('http', 'ws')}/ws`)
    cleanups.push(() => conn.close())
    conn.subscribe({ sub: 's', experimentIds: [t.exp], metrics: ['loss'] })
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length === 50), 'the first 50 points')
    t.append(20)
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length === 70), 'live points')
    t.sockets.at(-1)!.terminate()
    t.append(30)
    await waitFor(() => t.sockets.length === 2 && t.runs.every((r) => t.received.get(r)!.length >= 100), 'the missed points after the reconnect')
    t.append(5)
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length >= 105), 'live again')
    await new Promise((r) => setTimeout(r, 300))
    for (const run of t.runs) expect(t.received.get(run)).toEqual(t.inFile(run))
  })

  it('after the server process is killed and another starts on the same store', async () => {
    const t = await setup()
    const first = await t.start()
    const conn = t.connect(`${first.url.replace('http', 'ws')}/ws`)
    cleanups.push(() => conn.close())
    conn.subscribe({ sub: 's', experimentIds: [t.exp], metrics: ['loss'] })
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length === 50), 'the first 50 points')
    t.append(10)
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length === 60), 'live points')
    first.child.kill('SIGKILL')
    await first.exited
    t.append(25)
    await t.start()
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length >= 85), 'the points written while no server ran', 20_000)
    t.append(5)
    await waitFor(() => t.runs.every((r) => t.received.get(r)!.length >= 90), 'live from the new process')
    await new Promise((r) => setTimeout(r, 300))
    for (const run of t.runs) expect(t.received.get(run)).toEqual(t.inFile(run))
  })
})
