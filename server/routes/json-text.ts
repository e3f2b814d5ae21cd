// Responses assembled from pieces already written as JSON (run-json.ts),
// byte for byte what JSON.stringify writes for the whole. The pieces are
// UTF-8 bytes, encoded once when they are made: a response is one copy of
// them, not a string joined, measured and encoded again on every request
// (a 1,000-run search is 3.5 MB). With them, the Server-Timing header that
// tells a slow answer's server time from its transfer.
import type { Context } from 'hono'

/** A JSON value already written: its text, its bytes, or an array of items as bytes. */
export type JsonPiece = string | Bytes | Bytes[]

/** UTF-8 bytes over a plain ArrayBuffer, as Response bodies take. */
export type Bytes = Buffer<ArrayBuffer>

/** An object of members already written as JSON; undefined ones are left out. */
export function jsonObject(members: Record<string, JsonPiece | undefined>): Bytes {
  const parts: Bytes[] = []
  let open = '{'
  for (const [k, v] of Object.entries(members)) {
    if (v === undefined) continue
    parts.push(Buffer.from(`${open}${JSON.stringify(k)}:`))
    open = ','
    if (typeof v === 'string') parts.push(Buffer.from(v))
    else if (Buffer.isBuffer(v)) parts.push(v)
    else parts.push(...arrayParts(v))
  }
  parts.push(Buffer.from(open === '{' ? '{}' : '}'))
  return Buffer.concat(parts)
}

const OPEN = Buffer.from('[')
const COMMA = Buffer.from(',')
const CLOSE = Buffer.from(']')

function arrayParts(items: Bytes[]): Bytes[] {
  const parts = [OPEN]
  items.forEach((item, i) => parts.push(...(i === 0 ? [item] : [COMMA, item])))
  parts.push(CLOSE)
  return parts
}

/** Answers with JSON bytes, with the headers c.json sets. */
export function jsonText(c: Context, json: Bytes): Response {
  return c.body(json, 200, { 'Content-Type': 'application/json' })
}

/**
 * Names how long each phase of an answer took (milliseconds, in order), as
 * a Server-Timing header: `phases` are the phase names and the
 * performance.now() readings that begin the first, end each and end the last.
 */
export function serverTiming(c: Context, phases: string[], marks: number[]): void {
  c.header('Server-Timing', phases.map((name, i) => `${name};dur=${(marks[i + 1]! - marks[i]!).toFixed(1)}`).join(', '))
}
