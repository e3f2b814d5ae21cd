// The app in a real browser: the demo's runs in the table and curves that
// grow while you watch; a line appended to a store file reaching the chart.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserForFile, chartPoints, openPage } from './helpers/browser.ts'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { copyFixtureFileStore, tempDir } from './helpers/fixtures.ts'
import { startRunwatch, type RunwatchProcess } from './helpers/runwatch-process.ts'
import { waitFor } from './helpers/wait.ts'

const { browser, cleanups } = browserForFile()

/** A folder of the test's own, removed after the file. */
function scratchDir(): string {
  const dir = tempDir()
  cleanups.push(dir.remove)
  return dir.path
}

/** The step the chart's legend reads with the mouse at (x, y). */
async function stepAt(page: Page, x: number, y: number): Promise<number> {
  await page.mouse.move(x, y)
  await page.waitForTimeout(100)
  const text = (await page.textContent('[data-testid=chart-legend] .legend-x')) ?? ''
  const m = /^step (-?\d+)$/.exec(text)
  if (!m) throw new Error(`the legend reads no step: ${JSON.stringify(text)}`)
  return Number(m[1])
}

async function serve(args: string[], cwd: string): Promise<RunwatchProcess & { url: string }> {
  const p = await startRunwatch([...args, '--port', '0'], cwd)
  cleanups.push(() => p.stop())
  return p
}

describe('runwatch in Chromium', () => {
  it('shows the demo runs in a table and a chart whose curves grow', { timeout: 60_000 }, async () => {
    const dir = scratchDir()
    const server = await serve(['--demo'], dir)
    const { page, errors } = await openPage(browser(), server.url)
    await page.waitForSelector('[data-testid=run-table] tr[data-run-id]', { timeout: 15_000 })
    await waitFor(async () => (await page.locator('[data-testid=run-table] tr[data-run-id]').count()) >= 2, 'two demo runs in the table', 30_000)
    expect(await page.locator('[data-testid=live-chart] canvas').count()).toBeGreaterThan(0)
    expect(await page.getAttribute('[data-testid=chart-panel]', 'data-metric')).toBe('loss')
    const first = await waitFor(() => chartPoints(page), 'points on the chart')
    await waitFor(async () => (await chartPoints(page)) > first + 20, 'the curves to grow', 10_000)
    await expect(page.locator('[data-testid=connection-status]').textContent()).resolves.toBe('live')
    expect(page.url()).toMatch(/experiments=\d{18}/)
    expect(errors).toEqual([])
  })

  it('explains how to log a first run into an empty store, with that store\'s tracking URI', async () => {
    const dir = scratchDir()
    const server = await serve([dir], dir)
    const { page, errors } = await openPage(browser(), server.url)
    await waitFor(async () => (await page.textContent('[data-testid=empty-state]'))?.includes('This store has no experiments yet'), 'the empty store explained')
    await waitFor(async () => (await page.textContent('[data-testid=log-first-run]'))?.includes(`mlflow.set_tracking_uri("file:${dir}")`), 'the store\'s own URI')
    expect(errors).toEqual([])
  })

  it('opens a copied MLflow store on its most recently active experiment and draws an appended point', async () => {
    const dir = scratchDir()
    const root = copyFixtureFileStore('mlflow-3.6', dir)
    const server = await serve([root], dir)
    const { page, errors } = await openPage(browser(), server.url)
    await waitFor(async () => (await page.locator('[data-testid=run-table] tr[data-run-id]').count()) === 10, 'ten runs', 15_000)
    // run-13, the only RUNNING run, lives in demo-transformer.
    expect(await page.textContent('[data-testid=experiment-picker]')).toMatch(/^demo-transformer/)
    await waitFor(async () => (await chartPoints(page)) === 10 * 500, 'every loss point drawn')

    const run13 = join(root, '366321049169809600', '5c8c275e575c4d4bb56b98b370d0d2dc')
    appendFileSync(join(run13, 'metrics', 'loss'), `${Date.now()} 0.01 500\n`)
    await waitFor(async () => (await chartPoints(page)) === 10 * 500 + 1, 'the appended point on the chart')
    expect(errors).toEqual([])
  })

  it('filters runs as you type, marks a mistake at its column, and keeps the filter in the URL', async () => {
    const dir = scratchDir()
    const root = copyFixtureFileStore('mlflow-3.6', dir)
    const server = await serve([root], dir)
    const { page, errors } = await openPage(browser(), server.url)
    const rowCount = () => page.locator('[data-testid=run-table] tr[data-run-id]').count()
    await waitFor(async () => (await rowCount()) === 10, 'ten runs', 15_000)
    const expected = async (filter: string) => {
      const res = await fetch(`${server.url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: ['366321049169809600'], filter }) })
      return ((await res.json()) as { total: number }).total
    }
    const sgd = await expected("params.optimizer = 'sgd'")
    expect(sgd).toBeGreaterThan(0)
    expect(sgd).toBeLessThan(10)
    await page.keyboard.press('/')
    await page.keyboard.type("params.optimizer = 'sgd'")
    await waitFor(async () => (await rowCount()) === sgd, `${sgd} sgd runs`)
    expect(await page.textContent('[data-testid=run-count]')).toMatch(new RegExp(`^${sgd} runs`))

    await page.fill('[data-testid=filter-input]', 'metrics.acc < abc')
    await waitFor(() => page.isVisible('[data-testid=filter-problem]'), 'the problem shown')
    expect(await page.textContent('[data-testid=filter-problem]')).toBe("expected a number after '<' but found 'abc' at column 15")
    expect(await rowCount()).toBe(sgd)
    // A valid filter on a key no run has says so, rather than only showing no rows.
    await page.fill('[data-testid=filter-input]', 'metrics.accc > 0.5')
    await waitFor(async () => (await page.textContent('[data-testid=filter-unknown-keys]').catch(() => null)) === 'no run here has metrics.accc', 'the unknown key named')

    await page.fill('[data-testid=filter-input]', "params.optimizer = 'sgd' OR metrics.acc > 0.9")
    const either = await expected("params.optimizer = 'sgd' OR metrics.acc > 0.9")
    await waitFor(async () => (await rowCount()) === either && !(await page.isVisible('[data-testid=filter-problem]')), 'the OR filter applied')
    // The URL takes a typed filter once the typing pauses, not at every key.
    await waitFor(() => new URL(page.url()).searchParams.get('filter') === "params.optimizer = 'sgd' OR metrics.acc > 0.9", 'the filter in the URL')
    await page.reload()
    await waitFor(async () => (await rowCount()) === either, 'the same rows after a reload')
    expect(await page.inputValue('[data-testid=filter-input]')).toBe("params.optimizer = 'sgd' OR metrics.acc > 0.9")
    expect(errors).toEqual([])
  })

  it('draws many long curves from fewer points first, then their full detail, and reads a zoomed range again', { timeout: 90_000 }, async () => {
    const dir = scratchDir()
    const root = `${dir}/mlruns`
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('long')
    const runs = Array.from({ length: 60 }, (_, r) => {
      const id = w.createRun(exp, { name: `run-${r}`, startTime: 1_790_000_000_000 + r })
      w.logMetric(id, 'loss', Array.from({ length: 2000 }, (_, s) => ({ timestamp: s, value: 1 / (s + 1) + ((r + s) % 7) / 100, step: s })))
      return id
    })
    const server = await serve([root], dir)
    const requests: { budget: number; range?: [number, number] }[] = []
    const page = await browser().newPage({ viewport: { width: 1400, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('request', (r) => r.url().endsWith('/api/series') && requests.push(JSON.parse(r.postData()!)))
    await page.goto(`${server.url}/?experiments=${exp}&metrics=loss&selected=${runs.join(',')}`)
    // First fewer points, then the whole range at the full budget (four grid points per bucket), and no read without a zoom.
    await waitFor(async () => requests.length === 2 && (await chartPoints(page)) === 60 * Math.floor(requests[1]!.budget / 4) * 4, 'the full detail', 30_000)
    const [coarse, full] = requests
    expect(coarse!.budget).toBeLessThan(full!.budget)
    expect(coarse!.range ?? full!.range).toBeUndefined()
    await page.waitForTimeout(1000)
    expect(requests).toHaveLength(2)

    // Zoomed in: the visible range is read again at full resolution.
    const box = (await page.locator('[data-testid=live-chart]').boundingBox())!
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2)
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -300)
    await waitFor(() => requests.length === 3, 'a read of the zoomed range', 10_000)
    const [from, to] = requests[2]!.range!
    expect(to - from).toBeLessThan(1999)
    expect(errors).toEqual([])
  })

  it('keeps a live chart on its whole x range as points arrive, until the user zooms; a double click follows again', { timeout: 90_000 }, async () => {
    const dir = scratchDir()
    const root = `${dir}/mlruns`
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('live')
    const run = w.createRun(exp, { name: 'live-run' })
    const log = (from: number, to: number) =>
      w.logMetric(run, 'loss', Array.from({ length: to - from }, (_, i) => ({ timestamp: Date.now(), value: 1 / (from + i + 1), step: from + i })))
    log(0, 100)
    const server = await serve([root], dir)
    const { page, errors } = await openPage(browser(), `${server.url}/?experiments=${exp}&metrics=loss`)
    await waitFor(async () => (await chartPoints(page)) === 100, 'the first 100 points')
    for (let batch = 1; batch <= 10; batch++) {
      log(batch * 100, (batch + 1) * 100)
      await waitFor(async () => (await chartPoints(page)) === (batch + 1) * 100, `live batch ${batch}`, 15_000)
    }
    await page.waitForTimeout(300)
    const box = (await page.locator('[data-testid=live-chart]').boundingBox())!
    // The plot's left edge still shows the first steps (not the last hundred steps' width, slid along).
    expect(await stepAt(page, box.x + 2, box.y + box.height / 2)).toBeLessThan(30)

    // Zoomed in by the wheel: later points leave the view where the user put it.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -300)
    await waitFor(async () => (await page.getAttribute('[data-testid=live-chart]', 'data-following')) === 'false', 'the view no longer following')
    await page.waitForTimeout(600)
    const zoomedLeft = await stepAt(page, box.x + 2, box.y + box.height / 2)
    expect(zoomedLeft).toBeGreaterThan(30)
    log(1100, 1300)
    await waitFor(async () => (await chartPoints(page)) === 1300, 'points after the zoom', 15_000)
    await page.waitForTimeout(300)
    expect(Math.abs((await stepAt(page, box.x + 2, box.y + box.height / 2)) - zoomedLeft)).toBeLessThan(20)

    // A double click shows everything again and follows the next points.
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2)
    await waitFor(async () => (await page.getAttribute('[data-testid=live-chart]', 'data-following')) === 'true', 'following again')
    log(1300, 1500)
    await waitFor(async () => (await chartPoints(page)) === 1500, 'points after the double click', 15_000)
    await page.waitForTimeout(300)
    expect(await stepAt(page, box.x + 2, box.y + box.height / 2)).toBeLessThan(30)
    expect(errors).toEqual([])
  })

  it('places steps proportionally on the x axis for runs logging at different intervals', { timeout: 60_000 }, async () => {
    const dir = scratchDir()
    const root = `${dir}/mlruns`
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('intervals')
    // One run every 10 steps up to 1000, one every 3 steps up to 300: the union of steps is dense below 300.
    for (const [name, every, last] of [['sparse', 10, 1000], ['dense', 3, 300]] as const) {
      const id = w.createRun(exp, { name })
      w.logMetric(id, 'loss', Array.from({ length: last / every + 1 }, (_, i) => ({ timestamp: i, value: 1 / (i + 1), step: i * every })))
    }
    const server = await serve([root], dir)
    const { page, errors } = await openPage(browser(), `${server.url}/?experiments=${exp}&metrics=loss`)
    await waitFor(async () => (await chartPoints(page)) === 101 + 101, 'both curves drawn')
    await page.waitForTimeout(300)
    const box = (await page.locator('[data-testid=live-chart]').boundingBox())!
    const y = box.y + box.height / 2
    // Equal distances in pixels read equal distances in steps (the crosshair reads the nearest point: 10 steps apart at most).
    const [a, b, c] = [await stepAt(page, box.x + box.width * 0.1, y), await stepAt(page, box.x + box.width * 0.4, y), await stepAt(page, box.x + box.width * 0.7, y)]
    expect(Math.abs(b - a - (c - b))).toBeLessThanOrEqual(20)
    expect(c - a).toBeGreaterThan(400)
    // Between the dense run's last step and the next sparse one the crosshair may sit on an empty slot: the legend still reads values.
    expect(await page.locator('[data-testid=chart-legend] b').allTextContents()).toContainEqual(expect.stringMatching(/\d/))
    expect(errors).toEqual([])
  })

  it('keeps a few dozen rows in the DOM for 2,000 runs and scrolls to the last one', { timeout: 90_000 }, async () => {
    const dir = scratchDir()
    const root = `${dir}/mlruns`
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('big')
    for (let r = 0; r < 2000; r++) {
      const id = w.createRun(exp, { name: `run-${String(r).padStart(4, '0')}`, startTime: 1_790_000_000_000 + r * 1000, params: { lr: String(r) } })
      w.logMetric(id, 'loss', [{ timestamp: 1, value: 1 / (r + 1), step: 0 }])
      w.endRun(id, 'FINISHED', 1_790_000_000_000 + r * 1000 + 500)
    }
    const server = await serve([root], dir)
    const { page, errors } = await openPage(browser(), server.url)
    await waitFor(async () => (await page.textContent('[data-testid=run-count]'))?.startsWith('2000 runs'), '2000 runs counted', 60_000)
    // The chart overlays the table's first 10 runs (one loss point each), not all 2,000.
    await waitFor(async () => (await chartPoints(page)) === 10, 'ten charted runs')
    const rendered = await page.locator('[data-testid=run-table] tr[data-run-id]').count()
    expect(rendered).toBeGreaterThan(10)
    expect(rendered).toBeLessThan(100)
    // Newest first: the oldest run is the last row.
    await page.locator('[data-testid=run-table-scroller]').evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await waitFor(() => page.isVisible('text=run-0000'), 'the last row after scrolling')
    expect(await page.locator('[data-testid=run-table] tr[data-run-id]').count()).toBeLessThan(100)
    // A filter shows its runs from the first, not from where the rows before were scrolled to:
    // the rows it reads are its first ones (not a page past its end first).
    const offsets: number[] = []
    page.on('request', (r) => {
      if (r.url().endsWith('/api/runs/query')) offsets.push((JSON.parse(r.postData() ?? '{}') as { offset: number }).offset)
    })
    await page.fill('[data-testid=filter-input]', "attributes.run_name LIKE 'run-1%'")
    await waitFor(async () => (await page.textContent('[data-testid=filter-total]')) === '1,000 runs', 'the filtered count')
    const names = () => page.locator('[data-testid=run-table] tr[data-run-id] [data-testid=run-link]').allTextContents()
    await waitFor(async () => (await names())[0] === 'run-1999', 'the newest matching run first in the table')
    expect(await page.locator('[data-testid=run-table-scroller]').evaluate((el) => el.scrollTop)).toBe(0)
    expect(await names()).not.toContain('run-1000')
    expect(offsets).toEqual([0])
    expect(errors).toEqual([])
  })

  it('shows the running runs on /wall as live tiles that fit the screen', { timeout: 60_000 }, async () => {
    const dir = scratchDir()
    const server = await serve(['--demo'], dir)
    const { page, errors } = await openPage(browser(), `${server.url}/wall`)
    await waitFor(async () => (await page.locator('[data-testid=wall-tile]').count()) >= 2, 'two running runs on the wall', 30_000)
    const step = async () => Number(((await page.locator('[data-testid=wall-step]').first().textContent()) ?? '').replace(/\D/g, '') || 0)
    const first = await waitFor(step, 'a step on the first tile')
    // Ten steps take the demo about two seconds; a machine starved by the other test files may take far longer.
    await waitFor(async () => (await step()) > first + 10, 'the tile moving live', 30_000)
    expect(await page.isVisible('[data-testid=wall-banner]')).toBe(false)
    const overflow = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight)
    expect(overflow).toBeLessThanOrEqual(0)
    expect(errors).toEqual([])
  })
})

