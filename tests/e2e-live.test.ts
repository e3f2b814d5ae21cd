// The whole path a user relies on: a metric line appended to a file in an
// MLflow store reaches a WebSocket client of the real server process.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { fromWire, type PointsMessage, type RunsMessage, type ServerMessage } from '../protocol/index.ts'
import { tempDir } from './helpers/fixtures.ts'
import { startRunwatch, type RunwatchProcess } from './helpers/runwatch-process.ts'
import { waitFor } from './helpers/wait.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function setup() {
  const dir = tempDir()
  cleanups.push(dir.remove)
  const root = join(dir.path, 'mlruns')
  const writer = new MlflowFileStoreWriter(root)
  const exp = writer.createExperiment('e2e')
  const run = writer.createRun(exp, { name: 'first', params: { lr: '0.01' } })
  writer.logMetric(run, 'loss', [
    { timestamp: 1000, value: 2.5, step: 0 },
    { timestamp: 1001, value: 2.0, step: 1 },
  ])
  const server: RunwatchProcess & { url: string } = await startRunwatch([root, '--port', '0'], dir.path)
  cleanups.push(() => server.stop())
  const messages: ServerMessage[] = []
  const conn = new LiveConnection({
    url: server.url.replace('http', 'ws') + '/ws',
    onMessage: (m) => messages.push(m),
    createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
  })
  cleanups.push(() => conn.close())
  return { writer, exp, run, server, messages, conn }
}

const points = (messages: ServerMessage[], runId: string, key: string) =>
  messages
    .filter((m): m is PointsMessage => m.type === 'points' && m.runId === runId && m.key === key)
    .flatMap((m) => m.step.map((s, i) => [s, fromWire(m.value[i]!)]))

describe('live path: store file → ingest → DuckDB → /ws', () => {
  it('sends the current state, then synced, then each appended point exactly once', async () => {
    const { writer, exp, run, messages, conn } = await setup()
    conn.subscribe({ sub: 's1', experimentIds: [exp], metrics: ['loss'] })
    await waitFor(() => messages.some((m) => m.type === 'synced'), 'synced')
    const runs = messages.find((m): m is RunsMessage => m.type === 'runs')!
    expect(runs.upsert.map((r) => [r.name, r.status, r.params.lr])).toEqual([['first', 'RUNNING', '0.01']])
    expect(points(messages, run, 'loss')).toEqual([[0, 2.5], [1, 2.0]])

    appendFileSync(writer.metricPath(run, 'loss'), '1002 1.5 2\n')
    await waitFor(() => points(messages, run, 'loss').length === 3, 'the appended point')
    appendFileSync(writer.metricPath(run, 'loss'), '1003 nan 3\n1004 1.25 4\n')
    await waitFor(() => points(messages, run, 'loss').length === 5, 'two more points')
    await new Promise((r) => setTimeout(r, 300))
    const got = points(messages, run, 'loss')
    expect(got.slice(0, 3)).toEqual([[0, 2.5], [1, 2.0], [2, 1.5]])
    expect(got[3]![0]).toBe(3)
    expect(got[3]![1]).toBeNaN()
    expect(got[4]).toEqual([4, 1.25])
    // The run's latest values follow in a runs frame, for the table.
    await waitFor(
      () => messages.some((m) => m.type === 'runs' && m.upsert.some((r) => r.runId === run && r.metrics.loss?.step === 4 && r.metrics.loss.value === 1.25)),
      'the latest loss in a runs frame',
    )
  })

  it('thins a long series in the snapshot to about the points asked, then sends live points whole', async () => {
    const { writer, exp, run, messages, conn } = await setup()
    writer.logMetric(run, 'loss', Array.from({ length: 5000 }, (_, i) => ({ timestamp: 2000 + i, value: i === 3000 ? 99 : 1 / (i + 1), step: i + 2 })))
    await new Promise((r) => setTimeout(r, 500))
    conn.subscribe({ sub: 'wall', experimentIds: [exp], metrics: ['loss'], snapshotPoints: 200 })
    await waitFor(() => messages.some((m) => m.type === 'synced'), 'synced')
    const snapshot = points(messages, run, 'loss')
    expect(snapshot.length).toBeLessThanOrEqual(200)
    expect(snapshot.length).toBeGreaterThan(50)
    expect(snapshot[0]).toEqual([0, 2.5])
    expect(snapshot.at(-1)).toEqual([5001, 1 / 5000])
    expect(snapshot).toContainEqual([3002, 99])
    appendFileSync(writer.metricPath(run, 'loss'), '9000 0.5 5002\n9001 0.25 5003\n')
    await waitFor(() => points(messages, run, 'loss').length === snapshot.length + 2, 'the live points')
    expect(points(messages, run, 'loss').slice(-2)).toEqual([[5002, 0.5], [5003, 0.25]])
    conn.subscribe({ sub: 'bad', snapshotPoints: 2.5 } as never)
    await waitFor(() => messages.some((m) => m.type === 'error' && m.sub === 'bad'), 'the error')
  })

  it('shows a new run and a finished run live, and only the subscribed metric', async () => {
    const { writer, exp, messages, conn } = await setup()
    conn.subscribe({ sub: 's1', experimentIds: [exp], metrics: ['loss'] })
    await waitFor(() => messages.some((m) => m.type === 'synced'), 'synced')
    const second = writer.createRun(exp, { name: 'second' })
    writer.logMetric(second, 'acc', [{ timestamp: 5, value: 0.5, step: 0 }])
    writer.logMetric(second, 'loss', [{ timestamp: 5, value: 0.7, step: 0 }])
    await waitFor(() => points(messages, second, 'loss').length === 1, 'the new run\'s loss')
    writer.endRun(second, 'FINISHED')
    await waitFor(
      () => messages.some((m) => m.type === 'runs' && m.upsert.some((r) => r.runId === second && r.status === 'FINISHED')),
      'the run finishing',
    )
    expect(points(messages, second, 'acc')).toEqual([])
  })

  it('sends a publish\'s points as one batch to a client that asks, the same frames in the same order', async () => {
    const { writer, exp, run, server } = await setup()
    const others = [writer.createRun(exp, { name: 'b' }), writer.createRun(exp, { name: 'c' })]
    for (const r of others) writer.logMetric(r, 'loss', [{ timestamp: 1, value: 1, step: 0 }])
    await new Promise((r) => setTimeout(r, 300))
    const open = async (query: string) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws${query}`)
      cleanups.push(() => ws.close())
      const got: { type: string; frames?: ServerMessage[] }[] = []
      ws.on('message', (data) => got.push(JSON.parse(data.toString()) as { type: string }))
      await new Promise((r) => ws.once('open', r))
      ws.send(JSON.stringify({ type: 'subscribe', sub: 's', experimentIds: [exp], metrics: ['loss'] }))
      await waitFor(() => got.some((m) => m.type === 'synced'), 'synced')
      return got
    }
    const [plain, batched] = await Promise.all([open(''), open('?batch=1')])
    // Points for three series land together, then each series once more.
    for (const r of [run, ...others]) appendFileSync(writer.metricPath(r, 'loss'), '2000 0.5 10\n2001 0.4 11\n')
    const unpack = (got: typeof plain) => got.flatMap((m) => (m.type === 'batch' ? m.frames! : [m as ServerMessage])).filter((m) => m.type === 'points')
    await waitFor(() => unpack(batched).length >= 6 && unpack(plain).length >= 6, 'the points on both sockets')
    for (const r of [run, ...others]) appendFileSync(writer.metricPath(r, 'loss'), '2002 0.3 12\n')
    await waitFor(() => unpack(batched).length >= 9 && unpack(plain).length >= 9, 'the next points on both sockets')
    await new Promise((r) => setTimeout(r, 300))
    expect(unpack(batched)).toEqual(unpack(plain))
    expect(batched.some((m) => m.type === 'batch' && m.frames!.length > 1)).toBe(true)
    expect(plain.some((m) => m.type === 'batch')).toBe(false)
  })

  it('answers a bad message with an error frame and keeps the connection', async () => {
    const { server } = await setup()
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/ws')
    cleanups.push(() => ws.close())
    const frames: ServerMessage[] = []
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as ServerMessage))
    await new Promise((r) => ws.once('open', r))
    ws.send('not json')
    ws.send(JSON.stringify({ type: 'nope' }))
    ws.send(JSON.stringify({ type: 'subscribe', sub: 'x', metrics: 'loss' }))
    await waitFor(() => frames.length === 3, 'three error frames')
    expect(frames.map((f) => f.type === 'error' && f.code)).toEqual(['BAD_MESSAGE', 'BAD_MESSAGE', 'BAD_SUBSCRIBE'])
    ws.send(JSON.stringify({ type: 'subscribe', sub: 'ok' }))
    await waitFor(() => frames.some((f) => f.type === 'synced' && f.sub === 'ok'), 'a good subscription after the bad ones')
  })

  it('follows a filter: matching runs appear, a run whose tag changes leaves, a bad filter names its column', async () => {
    const { writer, exp, run, server, messages, conn } = await setup()
    writer.setTag(run, 'stage', 'train')
    const other = writer.createRun(exp, { name: 'other', tags: { stage: 'eval' } })
    writer.logMetric(other, 'loss', [{ timestamp: 1, value: 9, step: 0 }])
    // Subscribed once the server has read the tag and the other run (a fixed wait lost that race on a busy CI machine).
    const total = async (filter: string) =>
      ((await (await fetch(`${server.url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: [exp], filter }) })).json()) as { total: number }).total
    await waitFor(async () => (await total("tags.stage = 'train'")) === 1 && (await total('metrics.loss = 9')) === 1, 'the tag and the other run indexed')
    conn.subscribe({ sub: 'f', experimentIds: [exp], metrics: ['loss'], filter: "tags.stage = 'train' OR metrics.loss > 100" })
    await waitFor(() => messages.some((m) => m.type === 'synced' && m.sub === 'f'), 'synced')
    const first = messages.find((m): m is RunsMessage => m.type === 'runs' && m.sub === 'f')!
    expect(first.upsert.map((r) => r.name)).toEqual(['first'])
    expect(points(messages, other, 'loss')).toEqual([])

    // A metric that crosses the threshold brings the other run in, with its whole series.
    writer.logMetric(other, 'loss', [{ timestamp: 2, value: 500, step: 1 }])
    await waitFor(() => messages.some((m) => m.type === 'runs' && m.sub === 'f' && m.upsert.some((r) => r.runId === other)), 'the run entering')
    await waitFor(() => points(messages, other, 'loss').length === 2, 'its series')
    // Then it follows live, each point once (a filter on metrics is re-checked before points go out).
    writer.logMetric(other, 'loss', [{ timestamp: 3, value: 400, step: 2 }])
    await waitFor(() => points(messages, other, 'loss').length >= 3, 'its next point')
    await new Promise((r) => setTimeout(r, 300))
    expect(points(messages, other, 'loss').map(([step]) => step)).toEqual([0, 1, 2])
    // A tag change takes the first run out.
    writer.setTag(run, 'stage', 'done')
    await waitFor(() => messages.some((m) => m.type === 'runs' && m.sub === 'f' && m.remove.includes(run)), 'the run leaving')
    const before = points(messages, run, 'loss').length
    appendFileSync(writer.metricPath(run, 'loss'), '1010 0.1 9\n')
    await new Promise((r) => setTimeout(r, 300))
    expect(points(messages, run, 'loss')).toHaveLength(before)

    conn.subscribe({ sub: 'bad', filter: 'metrics.loss < abc' })
    await waitFor(() => messages.some((m) => m.type === 'error' && m.sub === 'bad'), 'the filter error')
    expect(messages.find((m) => m.type === 'error' && m.sub === 'bad')).toEqual({
      type: 'error', sub: 'bad', code: 'BAD_FILTER', message: "expected a number after '<' but found 'abc' at column 16", column: 16,
    })
  })
})

