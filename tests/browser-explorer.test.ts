// The explorer in a real browser on a store written by real MLflow: sorting on
// the server, the column picker, selection driving the charts, autocompletion,
// the comparison view, a run page with text and image previews, and the whole
// state restored from the URL on reload.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chartPoints, launchBrowser, openPage } from './helpers/browser.ts'
import { copyFixtureFileStore, tempDir } from './helpers/fixtures.ts'
import { startRunwatch, type RunwatchProcess } from './helpers/runwatch-process.ts'
import { waitFor } from './helpers/wait.ts'

const TRANSFORMER = '366321049169809600'
let browser: Browser
let server: RunwatchProcess & { url: string }
const cleanups: (() => unknown)[] = []

beforeAll(async () => {
  const dir = tempDir()
  cleanups.push(dir.remove)
  const root = copyFixtureFileStore('mlflow-3.6', dir.path)
  server = await startRunwatch([root, '--port', '0'], dir.path)
  cleanups.push(() => server.stop())
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  for (const fn of cleanups.reverse()) await fn()
})

const rowNames = (page: Page) => page.locator('[data-testid=run-table] tr[data-run-id] [data-testid=run-link]').allTextContents()
async function serverOrder(orderBy: string): Promise<string[]> {
  const res = await fetch(`${server.url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: [TRANSFORMER], orderBy: [orderBy], columns: ['run_name'] }) })
  return ((await res.json()) as { columns: { run_name: string[] } }).columns.run_name
}

describe('the explorer in Chromium', () => {
  it('sorts on the server, adds a column from the picker, charts the selected runs, and restores it all after a reload', async () => {
    const { page, errors } = await openPage(browser, server.url)
    await waitFor(async () => (await rowNames(page)).length === 10, 'ten runs', 15_000)

    await page.click('th[data-column="metrics.acc"]')
    await waitFor(() => /sort=/.test(page.url()), 'the sort in the URL')
    const desc = decodeURIComponent(new URL(page.url()).searchParams.get('sort')!).startsWith('-')
    const expected = await serverOrder(`metrics.acc ${desc ? 'DESC' : 'ASC'}`)
    await waitFor(async () => (await rowNames(page)).join() === expected.join(), 'rows in the server\'s order')
    expect(await page.textContent('th[data-column="metrics.acc"]')).toMatch(desc ? /▼/ : /▲/)

    await page.click('[data-testid=column-picker]')
    await page.fill('[data-testid=column-search]', 'see')
    expect(await page.locator('[data-testid=column-panel] [data-column-option]').count()).toBe(1)
    await page.check('[data-column-option="tags.seed"]')
    await page.keyboard.press('Escape')
    await waitFor(() => page.isVisible('th[data-column="tags.seed"]'), 'the seed column')
    const seedCells = await page.locator('[data-testid=run-table] tr[data-run-id] td:nth-last-child(1)').allTextContents()
    expect(seedCells.every((s) => /^\d+$/.test(s))).toBe(true)

    // Selecting two runs charts exactly those two (500 loss points each).
    const [first, second] = (await rowNames(page)).slice(3, 5)
    await page.click(`tr[data-run-id]:has-text("${first}") [data-testid=select-run]`)
    await page.click(`tr[data-run-id]:has-text("${second}") [data-testid=select-run]`)
    await waitFor(async () => (await chartPoints(page)) === 1000, 'two charted runs')
    const legend = await page.textContent('[data-testid=chart-legend]')
    expect(legend).toContain(first)
    expect(legend).toContain(second)
    expect(legend).not.toContain(expected[0] === first || expected[0] === second ? '\u0000' : expected[0]!)

    const before = page.url()
    await page.reload()
    await waitFor(async () => (await chartPoints(page)) === 1000, 'the same two runs charted after the reload', 15_000)
    expect(page.url()).toBe(before)
    // The charts can be drawn before the table's first page arrives.
    await waitFor(() => page.isVisible('th[data-column="tags.seed"]'), 'the chosen column after the reload')
    await waitFor(async () => (await rowNames(page)).join() === expected.join(), 'the same order after the reload')
    expect(await page.isChecked(`tr[data-run-id]:has-text("${first}") [data-testid=select-run]`)).toBe(true)

    // Esc clears the selection, also with the focus left on a run's checkbox; the charts go back to the first runs.
    await page.click(`tr[data-run-id]:has-text("${first}") [data-testid=select-run]`)
    await waitFor(async () => (await chartPoints(page)) === 500, 'one charted run')
    await page.keyboard.press('Escape')
    await waitFor(async () => (await chartPoints(page)) === 10 * 500, 'the first ten runs charted again')
    // Ten curves, ten colours: the same in the legend and the table.
    const legendColors = await page.locator('[data-testid=chart-legend] .swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor))
    expect(new Set(legendColors).size).toBe(10)
    const tableColors = await page.locator('[data-testid=run-table] tr[data-run-id] .swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor))
    expect(new Set(tableColors.slice(0, 10))).toEqual(new Set(legendColors))
    expect(errors).toEqual([])
  })

  it('draws the curves a link names before reading the table, then shows the table', async () => {
    const ids = ((await (await fetch(`${server.url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: [TRANSFORMER], limit: 3 }) })).json()) as { runIds: string[] }).runIds
    const { page, errors } = await openPage(browser, `${server.url}/?experiments=${TRANSFORMER}&metrics=loss&selected=${ids.join(',')}`)
    await waitFor(async () => (await chartPoints(page)) === 3 * 500, 'the three named runs charted', 15_000)
    await waitFor(async () => (await rowNames(page)).length === 10, 'the table\'s runs')
    const order = await page.evaluate<{ drawn: number; rows: number }>(`({
      drawn: performance.getEntriesByName('series-drawn')[0]?.startTime ?? Infinity,
      rows: performance.getEntriesByType('resource').find((r) => r.name.includes('/api/runs/query'))?.startTime ?? -1,
    })`)
    expect(order.rows).toBeGreaterThan(order.drawn)
    // The page's head sent the series query while the document was still being parsed, so before any
    // of the app's code ran (module scripts run once parsing is done), and the app drew that answer
    // rather than asking again.
    const sent = await page.evaluate<{ series: number[]; parsed: number }>(`({
      series: performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/api/series')).map((r) => r.startTime),
      parsed: performance.getEntriesByType('navigation')[0].domInteractive,
    })`)
    expect(sent.series).toHaveLength(1)
    expect(sent.series[0]).toBeLessThan(sent.parsed)
    expect(await page.isChecked(`tr[data-run-id="${ids[0]}"] [data-testid=select-run]`)).toBe(true)

    // The chart follows its panel's size: a narrower window, a narrower chart.
    const chartWidth = () => page.evaluate<number>("document.querySelector('[data-testid=live-chart] table').getBoundingClientRect().width")
    const wide = await chartWidth()
    const panel = await page.evaluate<number>("document.querySelector('[data-testid=live-chart]').getBoundingClientRect().width")
    expect(wide).toBeGreaterThan(panel - 2)
    await page.setViewportSize({ width: 900, height: 800 })
    await waitFor(async () => (await chartWidth()) < wide - 200, 'a narrower chart')
    expect(await chartWidth()).toBeLessThanOrEqual(await page.evaluate<number>("document.querySelector('[data-testid=live-chart]').getBoundingClientRect().width"))
    expect(errors).toEqual([])
  })

  it('completes keys and operators in the filter, and compares runs with differing params marked', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?experiments=${TRANSFORMER}`)
    await waitFor(async () => (await rowNames(page)).length === 10, 'ten runs', 15_000)
    await page.press('body', '/')
    await page.keyboard.type('params.opt')
    await waitFor(() => page.isVisible('[data-testid=filter-suggestions]'), 'suggestions')
    expect(await page.locator('[data-testid=filter-suggestions] li').allTextContents()).toEqual(['optimizer'])
    await page.keyboard.press('Tab')
    expect(await page.inputValue('[data-testid=filter-input]')).toBe('params.optimizer ')
    await page.keyboard.type("= 'adam'")
    const adam = (await (await fetch(`${server.url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: [TRANSFORMER], filter: "params.optimizer = 'adam'" }) })).json()) as { total: number }
    await waitFor(async () => (await rowNames(page)).length === adam.total, 'the filtered runs')
    expect(await page.textContent('[data-testid=filter-total]')).toBe(`${adam.total} runs`)

    await page.fill('[data-testid=filter-input]', '')
    await waitFor(async () => (await rowNames(page)).length === 10, 'all runs again')
    const boxes = page.locator('[data-testid=select-run]')
    await boxes.nth(0).check()
    await boxes.nth(1).check()
    await page.click('[data-testid=tab-compare]')
    await waitFor(() => page.isVisible('[data-testid=compare-table]'), 'the side-by-side table')
    expect(await page.locator('[data-testid=compare-table] thead th').count()).toBe(3)
    const row = (name: string) => page.locator(`[data-testid=compare-table] tr:has(td:text-is("${name}"))`)
    const [a, b] = await row('params.lr').locator('td').allTextContents().then((t) => t.slice(1))
    expect(await row('params.lr').getAttribute('data-differs')).toBe(a === b ? 'false' : 'true')
    expect(await row('status').getAttribute('data-differs')).toBe('false')
    // The comparison's code is loaded when first opened: its plots are drawn a moment after the table.
    await waitFor(async () => (await page.locator('[data-testid=parallel-coordinates] path').count()) === 10, 'ten lines in the parallel coordinates')
    await waitFor(async () => (await page.locator('[data-testid=scatter] circle').count()) === 10, 'ten points in the scatter plot')

    // Brushing the lr axis (a log axis: 0.001 … 0.1) below its middle filters the table to the runs inside the brush.
    const axis = page.locator('[data-axis="params.lr"] .pc-hit')
    await waitFor(async () => (await axis.boundingBox()) !== null, 'the lr axis laid out')
    const box = (await axis.boundingBox())!
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.55)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width / 2, box.y + box.height + 20, { steps: 4 })
    await page.mouse.up()
    await waitFor(() => page.isVisible('[data-testid=brush-note]'), 'the brush applied')
    const lowLr = (await (await fetch(`${server.url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: [TRANSFORMER], filter: 'params.lr < 0.005' }) })).json()) as { total: number }
    expect(lowLr.total).toBeGreaterThan(0)
    await waitFor(async () => (await rowNames(page)).length === lowLr.total, 'the runs inside the brush')
    // The scatter plot draws the runs brushed away faintly, as the lines are.
    expect(await page.locator('[data-testid=scatter] circle[data-brushed-out]').count()).toBe(10 - lowLr.total)
    // A reload keeps the brush, from the URL.
    await waitFor(() => new URL(page.url()).searchParams.getAll('brush').length === 1, 'the brush in the URL')
    await page.reload()
    await waitFor(async () => (await rowNames(page)).length === lowLr.total, 'the runs inside the brush after a reload', 15_000)
    expect(await page.isVisible('[data-testid=brush-note]')).toBe(true)
    expect(errors).toEqual([])
  })

  it('charts the filtered runs once typing pauses, not a series read per key', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?experiments=${TRANSFORMER}`)
    await waitFor(async () => (await chartPoints(page)) === 10 * 500, 'the first ten runs charted', 15_000)
    const names = await rowNames(page)
    const seriesReads: string[] = []
    page.on('request', (r) => void (r.url().includes('/api/series') && seriesReads.push(r.url())))
    // Five valid filters at a fast typist's pace, each leaving a different run out of the table,
    // whose rows come in meanwhile: the charts wait for the runs to hold still.
    for (const name of names.slice(0, 5)) {
      await page.fill('[data-testid=filter-input]', `attributes.run_name != '${name}'`)
      await page.waitForTimeout(80)
    }
    expect(seriesReads.length).toBeLessThanOrEqual(1)
    await waitFor(async () => !(await rowNames(page)).includes(names[4]!), 'the last filter\'s rows')
    await waitFor(async () => (await chartPoints(page)) === 9 * 500, 'the last filter\'s nine runs charted')
    expect(await page.textContent('[data-testid=chart-legend]')).not.toContain(names[4])
    expect(errors).toEqual([])
  })

  it('shows the stopping aid on the charts: the rule, the completed runs it compares with, runs to stop now', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?experiments=${TRANSFORMER}`)
    await waitFor(async () => (await chartPoints(page)) === 10 * 500, 'the charts', 15_000)
    await page.selectOption('[data-testid=stopping-rule]', 'median')
    const expected = (await (await fetch(`${server.url}/api/signals`, { method: 'POST', body: JSON.stringify({ experimentIds: [TRANSFORMER], key: 'loss', direction: 'minimize', rule: 'median' }) })).json()) as { completed: number; runs: { runId: string[]; candidate: boolean[] } }
    await waitFor(async () => (await page.textContent('[data-testid=stop-candidates]'))?.includes(`over ${expected.completed} completed runs`), 'the rule computed')
    const candidates = expected.runs.runId.filter((_, i) => expected.runs.candidate[i])
    expect(await page.locator('[data-testid=stop-candidates] .candidate').count()).toBe(candidates.length)
    expect(page.url()).toContain('stop=median')
    await page.reload()
    await waitFor(async () => (await page.inputValue('[data-testid=stopping-rule]')) === 'median', 'the rule kept in the URL')
    expect(errors).toEqual([])
  })

  it('opens a run page with its details and previews a text and an image artifact', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?experiments=${TRANSFORMER}`)
    await waitFor(async () => (await rowNames(page)).length === 10, 'ten runs', 15_000)
    const name = (await rowNames(page))[2]!
    await page.click(`[data-testid=run-link]:text-is("${name}")`)
    await waitFor(() => page.isVisible('[data-testid=run-page]'), 'the run page')
    expect(page.url()).toMatch(/\/runs\/[0-9a-f]{32}$/)
    await waitFor(async () => (await page.textContent('[data-testid=run-title]')) === name, 'the run name')
    expect(await page.textContent('[data-testid=run-params]')).toMatch(/optimizer/)
    expect(await page.textContent('[data-testid=run-note]')).toMatch(/^demo run/)
    expect(await page.locator('[data-testid=run-metrics] tbody tr').count()).toBe(2)

    await page.click('[data-artifact="notes/summary.txt"]')
    await waitFor(async () => (await page.textContent('[data-testid=artifact-text]'))?.includes('optimizer='), 'the text preview')
    await page.click('[data-artifact="plots/curves.png"]')
    await waitFor(() => page.locator('[data-testid=artifact-image]').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), 'the image drawn')

    // A link to the run page works on its own, naming the run's experiment; back returns to the runs.
    await page.reload()
    await waitFor(async () => (await page.textContent('[data-testid=run-title]')) === name, 'the run page after a reload')
    expect(await page.textContent('[data-testid=run-experiment] a')).toBe('demo-transformer')
    expect(await page.getAttribute('[data-testid=chart-run]', 'href')).toMatch(new RegExp(`^/\\?experiments=${TRANSFORMER}&selected=[0-9a-f]{32}$`))
    await waitFor(async () => (await page.textContent('[data-testid=experiment-picker]'))?.startsWith('demo-transformer'), 'the run\'s experiment in the picker')
    await page.click('text=← Runs')
    await waitFor(async () => (await rowNames(page)).length === 10, 'the runs again')
    expect(errors).toEqual([])
  })

  it('says so when a link names an experiment the store does not have, and shows the most recently active one', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?experiments=123456789012345678`)
    await waitFor(async () => (await page.textContent('[data-testid=notice]'))?.includes('experiment 123456789012345678 not found'), 'the notice')
    await waitFor(async () => (await rowNames(page)).length === 10, 'the most recently active experiment\'s runs')
    expect(await page.textContent('[data-testid=experiment-picker]')).toMatch(/^demo-transformer/)
    expect(errors).toEqual([])
  })

  it('says so when a run page names a run the store does not have', async () => {
    const unknown = 'f'.repeat(32)
    const { page, errors } = await openPage(browser, `${server.url}/runs/${unknown}`)
    await waitFor(() => page.isVisible('.run-page [role=alert]'), 'the problem shown')
    expect(await page.textContent('.run-page [role=alert]')).toContain(unknown)
    // The browser logs the 404 answer itself; nothing else goes wrong.
    expect(errors.filter((e) => !e.includes('404'))).toEqual([])
  })
})
