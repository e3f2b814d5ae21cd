import { describe, expect, it } from 'vitest'
import { parseArgs, UsageError } from '../server/cli/args.ts'

describe('parseArgs', () => {
  it('has the documented defaults', () => {
    const opts = parseArgs([])
    expect(opts).toMatchObject({ host: '127.0.0.1', port: 5050, demo: false })
    expect(opts.store).toBeUndefined()
  })
  it('takes the store positionally or as --backend-store-uri, and --opt=value forms', () => {
    expect(parseArgs(['./mlruns', '--port', '6000']).store).toBe('./mlruns')
    expect(parseArgs(['--backend-store-uri=sqlite:///m.db', '--host=0.0.0.0'])).toMatchObject({ store: 'sqlite:///m.db', host: '0.0.0.0' })
  })
  it('takes run health settings, in seconds for silence', () => {
    expect(parseArgs(['--stall-factor', '5', '--stalled-after=2.5', '--diverge-factor', '4']).health).toEqual({ k: 5, minSilenceMs: 2500, m: 4 })
    expect(parseArgs([]).health).toEqual({})
    for (const argv of [['--stalled-after', '-1'], ['--stall-factor', 'x'], ['--diverge-factor', '0']]) expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError)
  })
  it('rejects unknown flags, bad ports, two stores and --demo with a store', () => {
    for (const argv of [['--bogus'], ['--port', 'abc'], ['--port', '70000'], ['a', 'b'], ['--demo', 'mlruns'], ['--port'], ['x', '--backend-store-uri', 'y']]) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError)
    }
  })
})
