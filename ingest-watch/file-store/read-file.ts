// Reading files of a store that anyone could have put anything into: a FIFO
// or device must not block the reader, and a huge file is read in pieces.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

export class NotARegularFileError extends Error {
  readonly code = 'ENOTREG'
}

/**
 * Bytes [from, from + maxBytes) of a regular file, and its size. Opened
 * non-blocking, so a FIFO in place of a metric file fails instead of hanging.
 */
export function readRegularFile(path: string, from = 0, maxBytes = Infinity): { bytes: Buffer; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new NotARegularFileError('not a regular file')
    const size = stat.size
    const length = Math.max(0, Math.min(size - from, maxBytes))
    const bytes = Buffer.allocUnsafe(length)
    let read = 0
    while (read < length) {
      const n = readSync(fd, bytes, read, length - read, from + read)
      if (n === 0) break
      read += n
    }
    return { bytes: read === length ? bytes : bytes.subarray(0, read), size }
  } finally {
    closeSync(fd)
  }
}

/**
 * A whole file that a directory listing just reported as a regular file, read
 * into `scratch` with one read and no fstat (the initial scan opens some
 * 600,000 such files: open + read + close instead of four calls and a new
 * buffer each). A read that fills `scratch` may not be the whole file:
 * undefined, and the caller reads it with readRegularFile. The bytes are a
 * view of `scratch`, valid until its next use. Opened non-blocking, as above,
 * in case the file was replaced by a FIFO since the listing.
 */
export function readListedFile(path: string, scratch: Buffer): Buffer | undefined {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    // A regular file's read is short only at its end.
    const n = readSync(fd, scratch, 0, scratch.length, 0)
    return n < scratch.length ? scratch.subarray(0, n) : undefined
  } finally {
    closeSync(fd)
  }
}
