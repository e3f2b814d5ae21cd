// Metric columns leave a worker thread packed into one buffer per reply: the
// columns become views of it. A reply of 16 runs held close to a thousand
// small Float64Arrays, each its own transferred ArrayBuffer — a separate
// allocation, transfer record and finalizer on both threads, and garbage
// collection work on the main thread that grew with their number.

export interface Columns {
  timestamp: Float64Array
  value: Float64Array
  step: Float64Array
}

/** Copies every column into one buffer and points the columns at it; returns the buffer to transfer. */
export function packColumns(all: Columns[]): ArrayBuffer {
  let total = 0
  for (const c of all) total += c.timestamp.length + c.value.length + c.step.length
  const packed = new Float64Array(total)
  let at = 0
  const take = (column: Float64Array): Float64Array => {
    packed.set(column, at)
    const view = packed.subarray(at, at + column.length)
    at += column.length
    return view
  }
  for (const c of all) {
    c.timestamp = take(c.timestamp)
    c.value = take(c.value)
    c.step = take(c.step)
  }
  return packed.buffer
}
