// The explorer in headless Chromium (Debian's, via playwright-core) against a
// real runwatch process: first table paint and scrolling at 10,000 runs, a
// chart panel of 100 runs × 100,000 points, and 20 live runs at 50 points/s.
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { tempDir } from '../tests/helpers/fixtures.ts'
import { CHROMIUM } from '../tests/helpers/browser.ts'
import { generateFileStore } from './generate-store.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

async function withBrowser<T>(fn: (open: (url: string) => Promise<Page>) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] })
  try {
    return await fn(async (url) => {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
      await page.goto(url)
      return page
    })
  } finally {
    await browser.close()
  }
}

async function settled(url: string): Promise<void> {
  while (((await (await fetch(`${url}/api/status`)).json()) as { overviews: string }).overviews !== 'ready') await new Promise((r) => setTimeout(r, 100))
}

/**
 * Frames per second while `act` runs once per animation frame for `ms`. The
 * page code is a string: tsx would wrap functions with helpers the page lacks.
 */
function measureFps(page: Page, ms: number, act: 'scroll' | 'none'): Promise<{ fps: number; worstFrameMs: number }> {
  return page.evaluate(`new Promise((resolve) => {
    const scroller = document.querySelector('[data-testid=run-table-scroller]')
    const start = performance.now()
    let last = start, frames = 0, worst = 0
    const tick = (now) => {
      frames++
      worst = Math.max(worst, now - last)
      last = now
      if (${JSON.stringify(act)} === 'scroll' && scroller) scroller.scrollTop += 120
      if (now - start < ${ms}) requestAnimationFrame(tick)
      else resolve({ fps: (frames * 1000) / (now - start), worstFrameMs: worst })
    }
    requestAnimationFrame(tick)
  })`)
}

/** Milliseconds since navigation, at the next frame: when what is in the DOM has been painted. */
const paintedAt = (page: Page) => page.evaluate<number>('new Promise((r) => requestAnimationFrame(() => r(performance.now())))')
const chartPointsAbove = (page: Page, n: number) =>
  page.waitForFunction(`Number(document.querySelector('[data-testid=live-chart]')?.getAttribute('data-points') ?? 0) > ${n}`, undefined, { timeout: 30_000 })
const domNodes = (page: Page) => page.evaluate<number>("document.getElementsByTagName('*').length")

export async function benchTable(): Promise<{ firstPaintMs: number; scrollFps: number; worstFrameMs: number; rowsInDom: number; keystrokeMs: number[] }> {
  const { root } = generateFileStore({ runs: 10_000, metrics: 2, points: 10, params: 5, tags: 4, experiments: 1 })
  const { url, child } = await spawnRunwatch(root)
  try {
    await settled(url)
    const experimentId = ((await (await fetch(`${url}/api/experiments`)).json()) as { experiments: { experimentId: string; runCount: number }[] }).experiments.find((e) => e.runCount === 10_000)!.experimentId
    return await withBrowser(async (open) => {
      const paints: number[] = []
      let scroll = { fps: 0, worstFrameMs: 0 }
      let rowsInDom = 0
      const keystrokeMs: number[] = []
      for (let i = 0; i < 3; i++) {
        const page = await open(`${url}/?experiments=${experimentId}`)
        await page.waitForSelector('[data-testid=run-table] tr[data-run-id]', { timeout: 30_000 })
        // Navigation starts at performance time 0 in the page.
        paints.push(await paintedAt(page))
        if (i === 2) {
          await page.waitForTimeout(1000)
          scroll = await measureFps(page, 4000, 'scroll')
          rowsInDom = await page.locator('[data-testid=run-table] tr[data-run-id]').count()
          // Keystroke → updated table: the last key of a filter, until the new count and rows are painted.
          // The table names the filter its rows answer: the counts of these filters can be equal, and
          // the rows of the filter before stay shown until the new ones come.
          await page.click('[data-testid=filter-input]')
          await page.keyboard.type("params.param_0 = '1.", { delay: 20 })
          for (const digit of ['3', '5', '7', '9', '1']) {
            const filter = `params.param_0 = '1.${digit}'`
            const started = await page.evaluate<number>('performance.now()')
            await page.keyboard.type(`${digit}'`)
            await page.waitForFunction(
              `document.querySelector('[data-testid=run-table]')?.dataset.filter === ${JSON.stringify(filter)} && document.querySelector('[data-testid=filter-total]').textContent !== ''`,
              undefined,
              { polling: 'raf', timeout: 10_000 },
            )
            keystrokeMs.push((await paintedAt(page)) - started)
            await page.keyboard.press('Backspace')
            await page.keyboard.press('Backspace')
          }
        }
        await page.close()
      }
      paints.sort((a, b) => a - b)
      return { firstPaintMs: paints[1]!, scrollFps: scroll.fps, worstFrameMs: scroll.worstFrameMs, rowsInDom, keystrokeMs }
    })
  } finally {
    await stopRunwatch(child)
  }
}

export async function benchBigChart(): Promise<{ renderMs: number; points: number; detailMs: number; detailPoints: number }> {
  // From navigation to the painted panel: loading the page and the series query included. The
  // first paint is drawn from a smaller budget; the full detail replaces it a moment later.
  const { root } = generateFileStore({ runs: 100, metrics: 1, points: 100_000, params: 3, tags: 4 })
  const { url, child } = await spawnRunwatch(root)
  try {
    await settled(url)
    const runIds: string[] = []
    const experiments = ((await (await fetch(`${url}/api/experiments`)).json()) as { experiments: { experimentId: string; runCount: number }[] }).experiments.filter((e) => e.runCount > 0)
    for (const e of experiments) {
      const page = (await (await fetch(`${url}/api/runs/query`, { method: 'POST', body: JSON.stringify({ experimentIds: [e.experimentId], limit: 100 }) })).json()) as { runIds: string[] }
      runIds.push(...page.runIds)
    }
    const exps = experiments.map((e) => e.experimentId).join(',')
    return await withBrowser(async (open) => {
      const times: number[] = []
      const detailTimes: number[] = []
      let points = 0
      let detailPoints = 0
      const drawn = async (page: Page) => Number(await page.getAttribute('[data-testid=live-chart]', 'data-points'))
      for (let i = 0; i < 3; i++) {
        const page = await open(`${url}/?experiments=${exps}&metrics=metric_0&selected=${runIds.join(',')}`)
        // Timed in the page: the frame after the one whose rAF first sees points, when they have
        // been painted. (Asking from here after it was seen took a round trip that could wait
        // behind the full-detail read that follows, and timed that instead.)
        const first = await page.evaluate<{ n: number; at: number }>(`new Promise((resolve, reject) => {
          setTimeout(() => reject(new Error('no chart points after 30 s')), 30000)
          const tick = () => {
            const n = Number(document.querySelector('[data-testid=live-chart]')?.getAttribute('data-points') ?? 0)
            if (n > 0) requestAnimationFrame(() => resolve({ n, at: performance.now() }))
            else requestAnimationFrame(tick)
          }
          requestAnimationFrame(tick)
        })`)
        points = first.n
        times.push(first.at)
        await chartPointsAbove(page, points)
        detailTimes.push(await paintedAt(page))
        detailPoints = await drawn(page)
        await page.close()
      }
      times.sort((a, b) => a - b)
      detailTimes.sort((a, b) => a - b)
      return { renderMs: times[1]!, points, detailMs: detailTimes[1]!, detailPoints }
    })
  } finally {
    await stopRunwatch(child)
  }
}

export async function benchLiveChart(seconds = 20): Promise<{ fps: number; worstFrameMs: number; domBefore: number; domAfter: number; pointsDrawn: number }> {
  const dir = tempDir('runwatch-bench-ui-')
  const root = join(dir.path, 'mlruns')
  const w = new MlflowFileStoreWriter(root)
  const exp = w.createExperiment('live-20')
  const runs = Array.from({ length: 20 }, (_, r) => w.createRun(exp, { name: `live-${r}`, params: { lr: String(0.001 * (r + 1)) } }))
  runs.forEach((id) => w.logMetric(id, 'loss', [{ timestamp: Date.now(), value: 1, step: 0 }]))
  const { url, child } = await spawnRunwatch(root)
  let step = 1
  // 20 runs × 50 points/s: each run gets one point every 20 ms.
  const writer = setInterval(() => {
    const now = Date.now()
    for (const [r, id] of runs.entries()) w.logMetric(id, 'loss', [{ timestamp: now, value: Math.exp(-step / 500) * (1 + r / 20) + Math.random() / 50, step }])
    step++
  }, 20)
  try {
    return await withBrowser(async (open) => {
      const page = await open(`${url}/?experiments=${exp}&metrics=loss&selected=${runs.join(',')}`)
      await chartPointsAbove(page, 20)
      await page.waitForTimeout(2000)
      const domBefore = await domNodes(page)
      const { fps, worstFrameMs } = await measureFps(page, seconds * 1000, 'none')
      const domAfter = await domNodes(page)
      const pointsDrawn = Number(await page.getAttribute('[data-testid=live-chart]', 'data-points'))
      return { fps, worstFrameMs, domBefore, domAfter, pointsDrawn }
    })
  } finally {
    clearInterval(writer)
    await stopRunwatch(child)
    dir.remove()
  }
}
