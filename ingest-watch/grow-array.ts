// Columns filled before their final length is known (rows of a read, lines of
// a text) start at a guess and double when full.

/** A typed array twice as long, with `a`'s contents at its start. */
export function doubled<T extends Float64Array | Int32Array>(a: T): T {
  const bigger = new (a.constructor as new (length: number) => T)(a.length * 2)
  bigger.set(a)
  return bigger
}
