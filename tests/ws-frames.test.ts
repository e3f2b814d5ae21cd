import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { liveSocket } from '../server/live/ws-socket.ts'

describe('points frames written straight to the socket', () => {
  let wss: WebSocketServer
  beforeAll(() => new Promise<void>((r) => (wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, r))))
  afterAll(() => new Promise<void>((r) => wss.close(() => r())))

  it('reach a ws client as the same text messages, in order, among messages sent through ws', async () => {
    // The three header forms: 7-bit, 16-bit and 64-bit lengths.
    const texts = [0, 5, 125, 126, 200, 65_535, 65_536, 300_000].map((n) => JSON.stringify({ n, pad: 'é'.repeat(Math.max(0, n - 30) >> 1) }))
    const server = new Promise<WebSocket>((r) => wss.once('connection', r))
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
    const got: { text: string; binary: boolean }[] = []
    client.on('message', (data, binary) => got.push({ text: data.toString(), binary }))
    const socket = liveSocket(await server)
    socket.send('first')
    socket.sendMany!(texts.slice(0, 4).map((t) => Buffer.from(t)))
    socket.send(Buffer.from('middle'))
    socket.sendMany!(texts.slice(4).map((t) => Buffer.from(t)))
    const expected = ['first', ...texts.slice(0, 4), 'middle', ...texts.slice(4)]
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => got.length >= expected.length && (clearInterval(t), resolve()), 10)
      setTimeout(() => reject(new Error(`got ${got.length} of ${expected.length} messages`)), 5000)
    })
    expect(got.map((m) => m.text)).toEqual(expected)
    expect(got.every((m) => !m.binary)).toBe(true)
    client.close()
  })
})
