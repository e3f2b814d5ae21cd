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
  it('rejects unknown flags, bad ports, two stores and --demo with a store', () => {
    for (const argv of [['--bogus'], ['--port', 'abc'], ['--port', '70000'], ['a', 'b'], ['--demo', 'mlruns'], ['--port'], ['x', '--backend-store-uri', 'y']]) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError)
    }
  })
})
