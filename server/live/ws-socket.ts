// A `ws` WebSocket as the hub's LiveSocket. A publish sends each client up to
// a few hundred small points frames; through ws.send each costs a header, two
// stream writes and their bookkeeping. The same frames go to every client, so
// they are framed once and a client's share goes out as one socket write.
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import type { LiveSocket } from './hub.ts'

const framed = new WeakMap<Buffer, Buffer>()

/** An unmasked, final text frame (RFC 6455 §5.2), as a server sends. */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + n)
  frame[0] = 0x81
  if (n < 126) frame[1] = n
  else if (n < 65536) {
    frame[1] = 126
    frame.writeUInt16BE(n, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(n), 2)
  }
  payload.copy(frame, header)
  return frame
}

function wsFrame(message: Buffer): Buffer {
  let frame = framed.get(message)
  if (!frame) framed.set(message, (frame = textFrame(message)))
  return frame
}

export function liveSocket(raw: WebSocket): LiveSocket {
  // ws keeps its net.Socket private; without it, frames go one by one through ws.send.
  const tcp = (raw as unknown as { _socket?: Socket })._socket
  return {
    send: (text) => raw.send(text, { binary: false }),
    get bufferedAmount() {
      return raw.bufferedAmount
    },
    close: (code, reason) => raw.close(code, reason),
    ...(tcp && {
      // Whole frames only, so they never interleave with ws's own (pings, close).
      sendMany: (messages: Buffer[]) => {
        if (raw.readyState !== WebSocket.OPEN || messages.length === 0) return
        tcp.write(messages.length === 1 ? wsFrame(messages[0]!) : Buffer.concat(messages.map(wsFrame)))
      },
      cork: () => tcp.cork(),
      uncork: () => tcp.uncork(),
    }),
  }
}
