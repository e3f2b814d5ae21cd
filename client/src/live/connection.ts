// The typed /ws client, free of any UI framework so the app and the tests use
// the same code. It keeps its subscriptions and sends them again after a
// reconnect (with backoff); the caller learns of each (re)subscribe so it can
// replace that subscription's state with the fresh snapshot.
import type { ClientMessage, ServerMessage, SubscribeMessage } from '../../../protocol/index.ts'

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
  /** Called just before a subscription is (re)sent: drop what you hold for it. */
  onSubscribing?: (sub: string) => void
  onStatus?: (status: ConnectionStatus) => void
  createSocket?: (url: string) => WebSocketLike
  /** Reconnect delays grow from min to max, doubling. */
  backoffMs?: { min: number; max: number }
}

const OPEN = 1

export class LiveConnection {
  private socket: WebSocketLike | undefined
  private readonly subs = new Map<string, SubscribeMessage>()
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
    this.sendSubscribe(msg)
  }

  unsubscribe(sub: string): void {
    this.subs.delete(sub)
    this.send({ type: 'unsubscribe', sub })
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
    const socket = create(this.options.url)
    this.socket = socket
    socket.onopen = () => {
      this.everOpened = true
      this.delay = this.options.backoffMs?.min ?? 250
      this.options.onStatus?.('open')
      for (const msg of this.subs.values()) this.sendSubscribe(msg)
    }
    socket.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      this.options.onMessage(JSON.parse(ev.data) as ServerMessage)
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

  private sendSubscribe(msg: SubscribeMessage): void {
    if (this.socket?.readyState !== OPEN) return
    this.options.onSubscribing?.(msg.sub)
    this.send(msg)
  }

  private send(msg: ClientMessage): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(msg))
  }
}
