// The preview image (issue 17): a PNG of 10,000 points, ≤ 50 ms and ≤ 60 KB. Measured in-process,
// after one warm-up render (which loads the Natural Earth outlines once per server), for a city-sized
// cloud (region view, 1:50m outline) and a world-wide one (world view, 1:110m outline), and the two
// readings side by side as infer_csv_format draws them.
import { renderPicture } from '../dist/preview/render.js';
import { describePlaces } from '../dist/preview/world.js';

export async function previewImage(runs, out) {
  const N = 10_000;
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const city = Array.from({ length: N }, () => [-0.5 + rnd(), 51.2 + rnd() * 0.6]);
  const world = Array.from({ length: N }, () => [-180 + 360 * rnd(), -60 + 130 * rnd()]);
  const swapped = city.map(([lon, lat]) => [lat, lon]);
  const cases = {
    'region, 10,000 points': [{ label: 'A', points: city }],
    'world, 10,000 points': [{ label: 'A', points: world }],
    'two readings side by side, 10,000 points each': [
      { label: 'A: LAT=COL 3, LON=COL 2', points: city },
      { label: 'B: LAT=COL 2, LON=COL 3', points: swapped },
    ],
  };
  const t0 = performance.now();
  renderPicture(cases['region, 10,000 points']);
  renderPicture(cases['world, 10,000 points']);
  const firstMs = performance.now() - t0;
  const res = { firstRenderWithLoadingMs: Math.round(firstMs), cases: {} };
  out(`preview image (${runs * 2} runs each; the first render, loading the outlines, took ${Math.round(firstMs)} ms):`);
  for (const [name, panels] of Object.entries(cases)) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < runs * 2; i++) {
      const t = performance.now();
      bytes = renderPicture(panels).png.length;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    res.cases[name] = { medianMs: Math.round(median * 10) / 10, minMs: Math.round(times[0] * 10) / 10, bytes };
    out(`  ${name}: median ${median.toFixed(1)} ms (min ${times[0].toFixed(1)}), ${(bytes / 1024).toFixed(1)} KB   [target ≤ 50 ms, ≤ 60 KB]`);
  }
  const t = performance.now();
  const places = describePlaces(city);
  res.placeNamesMs = Math.round((performance.now() - t) * 10) / 10;
  out(`  places in words for 10,000 points (200 named): ${res.placeNamesMs} ms → ${places.summary}`);
  return res;
}
