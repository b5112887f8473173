// Lighthouse over a list of pages with one Chromium, one page after another (tests/browser/
// test_lighthouse.py and `make bench` run it; docs/performance.md).
//
// stdin: {"chromium": path, "flags": [Chromium flags], "categories": ["seo", …], "urls": [url, …]}
// stdout: one JSON object per URL and line, in order:
//   {"url", "scores": {category: 0..1 or null}, "failing": [{"id", "title", "score"}],
//    "metrics": {"total-blocking-time": ms, …} (performance only)}
// Mobile form factor and simulated throttling (Lighthouse's defaults, as PageSpeed Insights);
// each run starts from empty storage and cache, as a new user would.
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
  'cumulative-layout-shift', 'speed-index'];

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function summary(lhr) {
  const scores = {};
  const failing = [];
  for (const [id, category] of Object.entries(lhr.categories)) {
    scores[id] = category.score;
    for (const ref of category.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        failing.push({id: ref.id, title: audit.title, score: audit.score});
      }
    }
  }
  const metrics = {};
  if (lhr.categories.performance) {
    for (const id of METRICS) metrics[id] = lhr.audits[id].numericValue;
  }
  return {url: lhr.finalDisplayedUrl, scores, failing, metrics,
    warnings: lhr.runWarnings, error: lhr.runtimeError?.message ?? null};
}

const spec = await readStdin();
const chrome = await chromeLauncher.launch({chromePath: spec.chromium, chromeFlags: spec.flags, logLevel: 'silent'});
try {
  for (const url of spec.urls) {
    const run = () => lighthouse(url, {port: chrome.port, output: 'json', logLevel: 'error',
      onlyCategories: spec.categories});
    let result = await run();
    // A trace Lighthouse could not read (NO_NAVSTART on a loaded machine) is run once more.
    if (result.lhr.runtimeError) result = await run();
    process.stdout.write(JSON.stringify(summary(result.lhr)) + '\n');
  }
} finally {
  await chrome.kill();
}
