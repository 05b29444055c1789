import { describe, expect, it } from 'vitest';
import { renderPicture, PANEL_W } from '../../src/preview/render.js';
import { describePlaces, placeOf } from '../../src/preview/world.js';

// Points of the guide's sample area (London), and the same read with latitude and longitude swapped.
const london = Array.from({ length: 200 }, (_, i) => [-0.19 + (i % 20) * 0.007, 51.45 + Math.floor(i / 20) * 0.009] as const);
const swapped = london.map(([lon, lat]) => [lat, lon] as const);

function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('place names', () => {
  it('names London and the Indian Ocean from the same data', () => {
    expect(placeOf(-0.1137, 51.5419).name).toBe('London, United Kingdom');
    expect(placeOf(51.5419, -0.1137)).toEqual({ name: 'Indian Ocean', land: false });
    expect(describePlaces(london).summary).toContain('London, United Kingdom');
    const sea = describePlaces(swapped);
    expect(sea.onLand).toBe(0);
    expect(sea.places[0]!.name).toBe('Indian Ocean');
  });

  it('names countries, seas and impossible coordinates', () => {
    expect(placeOf(2.35, 48.86).name).toMatch(/Paris, France/);
    expect(placeOf(-40, 30).name).toBe('Atlantic Ocean');
    expect(placeOf(-150, 0).name).toBe('Pacific Ocean');
    expect(placeOf(200, 0).name).toBe('not a valid coordinate');
  });
});

describe('picture', () => {
  it('draws two readings side by side as a small PNG with their bounding boxes', () => {
    const pic = renderPicture([
      { label: 'A: lon=col 2, lat=col 3', points: london },
      { label: 'B: lon=col 3, lat=col 2', points: swapped },
    ]);
    expect(pngSize(pic.png)).toEqual([pic.width, pic.height]);
    expect(pic.width).toBeGreaterThan(2 * PANEL_W);
    expect(pic.png.length).toBeLessThan(60_000);
    expect(pic.bboxes[0]![0]).toBeCloseTo(-0.19, 5);
    expect(pic.bboxes[1]![1]).toBeCloseTo(-0.19, 5);
  });

  it('draws the world, a region across the antimeridian, and no points at all', () => {
    const world = Array.from({ length: 10_000 }, (_, i) => [-180 + ((i * 37) % 360), -60 + ((i * 11) % 120)] as const);
    const pacific = [[179.5, -17], [-179.5, -16.5]] as const;
    for (const points of [world, pacific, []]) {
      const pic = renderPicture([{ label: 'x', points }]);
      expect(pngSize(pic.png)).toEqual([PANEL_W, pic.height]);
      expect(pic.png.length).toBeLessThan(60_000);
    }
  });
});
