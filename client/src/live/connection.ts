// The typed /ws client, free of any UI framework so the app and the tests use
// the same code. It keeps its subscriptions and, after a reconnect (with
// backoff), sends them again with a cursor of what it already has, so the
// server sends only the points that came after — also from a restarted server.
import { decodeCursor, encodeCursor, positionKey, type ClientMessage, type SeriesPositions, type ServerMessage, type SubscribeMessage, type WireMessage } from '../../../protocol/index.ts'

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** The browser's WebSocket and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: unknown) => void) | null
  onerror: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
}

export interface LiveConnectionOptions {
  url: string
  onMessage: (msg: ServerMessage) => void
  /**
   * Called just before a subscription is sent. `resuming`: after a reconnect,
   * with the positions of every series received so far — the server sends
   * only what came after, so keep the points you hold (runs come again whole).
   * Otherwise drop what you hold for it.
   */
  onSubscribing?: (sub: string, resuming: boolean) => void
  onStatus?: (status: ConnectionStatus) => void
  createSocket?: (url: string) => WebSocketLike
  /** Reconnect delays grow from min to max, doubling. */
  backoffMs?: { min: number; max: number }
  /** Ask for each publish's points frames as one message (`?batch=1`); onMessage still gets them one by one. Default true. */
  batch?: boolean
}

const OPEN = 1

export class LiveConnection {
  private socket: WebSocketLike | undefined
  private readonly subs = new Map<string, SubscribeMessage>()
  /** Per subscription, the position reached in each series (from the cursors of `points` frames). */
  private readonly positions = new Map<string, SeriesPositions>()
  private delay: number
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false
  private everOpened = false

  constructor(private readonly options: LiveConnectionOptions) {
    this.delay = options.backoffMs?.min ?? 250
    this.connect()
  }

  subscribe(request: Omit<SubscribeMessage, 'type'>): void {
    const msg: SubscribeMessage = { type: 'subscribe', ...request }
    this.subs.set(msg.sub, msg)
    // A subscription that starts from a cursor (a chart loaded by query) resumes from there after a reconnect too.
    this.positions.set(msg.sub, (msg.cursor !== undefined ? decodeCursor(msg.cursor) : undefined) ?? new Map())
    this.sendSubscribe(msg, false)
  }

  unsubscribe(sub: string): void {
    this.subs.delete(sub)
    this.positions.delete(sub)
    this.send({ type: 'unsubscribe', sub })
  }

  /** The cursor a reconnect would resume `sub` from. */
  cursorOf(sub: string): string | undefined {
    const positions = this.positions.get(sub)
    return positions && positions.size > 0 ? encodeCursor(positions) : undefined
  }

  close(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.socket?.close(1000, 'client closed')
    this.options.onStatus?.('closed')
  }

  private connect(): void {
    this.options.onStatus?.(this.everOpened ? 'reconnecting' : 'connecting')
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike)
    const url = this.options.batch === false ? this.options.url : `${this.options.url}${this.options.url.includes('?') ? '&' : '?'}batch=1`
    const socket = create(url)
    this.socket = socket
    socket.onopen = () => {
      const resuming = this.everOpened
      this.everOpened = true
      this.delay = this.options.backoffMs?.min ?? 250
      this.options.onStatus?.('open')
      for (const msg of this.subs.values()) this.sendSubscribe(msg, resuming)
    }
    socket.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      const msg = JSON.parse(ev.data) as WireMessage
      if (msg.type === 'batch') for (const frame of msg.frames) this.receive(frame)
      else this.receive(msg)
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = undefined
      if (this.stopped) return
      this.options.onStatus?.('reconnecting')
      const wait = this.delay
      this.delay = Math.min(this.delay * 2, this.options.backoffMs?.max ?? 10_000)
      this.timer = setTimeout(() => this.connect(), wait)
    }
    socket.onerror = () => {
      // onclose follows and schedules the reconnect.
    }
  }

  private receive(msg: ServerMessage): void {
    if (msg.type === 'points' && msg.cursor !== undefined) this.positions.get(msg.sub)?.set(positionKey(msg.runId, msg.key), Number(msg.cursor))
    if (msg.type === 'resync') {
      // Everything before this frame has been read: pick up from where we are.
      const sub = this.subs.get(msg.sub)
      if (sub) this.sendSubscribe(sub, true)
      return
    }
    this.options.onMessage(msg)
  }

  private sendSubscribe(msg: SubscribeMessage, resuming: boolean): void {
    if (this.socket?.readyState !== OPEN) return
    const cursor = resuming || msg.cursor !== undefined ? this.cursorOf(msg.sub) : undefined
    if (!cursor) this.positions.set(msg.sub, new Map())
    this.options.onSubscribing?.(msg.sub, cursor !== undefined)
    const { cursor: _given, ...request } = msg
    this.send(cursor ? { ...request, cursor } : request)
  }

  private send(msg: ClientMessage): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(msg))
  }
}
