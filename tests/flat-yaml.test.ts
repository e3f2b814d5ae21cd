// The meta.yaml fast reader must give what the YAML parser gives (YAML 1.1,
// failsafe schema, as meta-yaml.ts parses), or leave the text to the parser.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { readFlatMapping } from '../ingest-watch/flat-yaml.ts'
import { parseRunMeta } from '../ingest-watch/meta-yaml.ts'
import { fixtureFileStore, MLFLOW_VERSIONS } from './helpers/fixtures.ts'
import { readdirSync } from 'node:fs'

const parser = (text: string) => parse(text, { version: '1.1', schema: 'failsafe' }) as unknown

function metaFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('meta.yaml')).map((f) => join(root, f))
}

describe('meta.yaml fast reader', () => {
  it.each(MLFLOW_VERSIONS)('reads every run and experiment meta.yaml written by %s, as the parser does', (version) => {
    const files = metaFiles(fixtureFileStore(version)).filter((f) => !f.includes('/inputs/') && !f.includes('/datasets/'))
    expect(files.length).toBeGreaterThan(20)
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      expect(readFlatMapping(text), file).toEqual(parser(text))
    }
  })

  it('agrees with the parser on every line it takes, and leaves the rest to it', () => {
    const taken = [
      "run_id: abc\nrun_name: ''\nexperiment_id: '1'\n",
      "name: 'it''s ''quoted'''\n",
      'artifact_uri: file:///tmp/a b/c:d\n',
      'run_name: 1e5\nexperiment_id: 427061849284301234\nend_time: null\nx: ~\nstatus: 3\ntags: []\n',
      'step: -1\nname: a-b_c.d/e(f)=g,h[i]{j}\nq: a#b\nr: a:b\n',
      'no_newline_at_end: x',
    ]
    for (const text of taken) {
      expect(readFlatMapping(text), text).toBeDefined()
      expect(readFlatMapping(text), text).toEqual(parser(text))
    }
    const left = [
      '', '\n', 'a: b\n\nc: d\n', 'a:\n', 'a:b\n', 'a:  b\n', 'a: b \n', 'a: b #c\n', 'a: b: c\n', 'a: b:\n', 'a: - b\n', 'a: -\n',
      'a: "b"\n', "a: 'b\n", "a: 'b'c'\n", "a: 'b' # c\n", 'a: [b]\n', 'a: {}\n', 'a: |\n  b\n', 'a: >\n  b\n', 'a: &x b\n', 'a: *x\n',
      'a: !t b\n', 'a: %b\n', 'a: @b\n', 'a: `b\n', 'a: ?b\n', 'a: :b\n', 'a: ,b\n', 'a: b\r\n', 'a: b\tc\n', 'a: é\n', 'a: b\u0085c\n',
      'a: b\n  c\n', '---\na: b\n', 'a: b\na: c\n', '- a\n', '# c\na: b\n', 'artifact_uri: file:///x\nend_ti',
    ]
    for (const text of left) expect(readFlatMapping(text), JSON.stringify(text)).toBeUndefined()
  })

  it('keeps what a user relies on through the fast path: YAML 1.1 strings, exact ids, a half-written file retried', () => {
    const run = parseRunMeta("run_id: abc\nrun_name: 1e5\nexperiment_id: '427061849284301234'\nstatus: 3\nstart_time: 1790005931000\nend_time: null\n")
    expect(run).toMatchObject({ runId: 'abc', name: '1e5', experimentId: '427061849284301234', status: 'FINISHED', startTime: 1790005931000, endTime: null })
    expect(() => parseRunMeta('artifact_uri: file:///x\nend_ti')).toThrow()
  })
})
