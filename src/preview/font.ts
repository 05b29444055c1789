/**
 * A 3x5 pixel font for the picture's short labels ("A: LAT=COL 3, LON=COL 2"), so that the
 * rasteriser needs no font files. Upper case, digits and a few signs; anything else is drawn as a gap.
 */
/** Rows top to bottom, separated by '/'; '#' is a lit pixel. */
const GLYPHS: Record<string, string> = {
  A: '.#./#.#/###/#.#/#.#',
  B: '##./#.#/##./#.#/##.',
  C: '.##/#../#../#../.##',
  D: '##./#.#/#.#/#.#/##.',
  E: '###/#../##./#../###',
  F: '###/#../##./#../#..',
  G: '.##/#../#.#/#.#/.##',
  H: '#.#/#.#/###/#.#/#.#',
  I: '###/.#./.#./.#./###',
  J: '..#/..#/..#/#.#/.#.',
  K: '#.#/#.#/##./#.#/#.#',
  L: '#../#../#../#../###',
  M: '#.#/###/###/#.#/#.#',
  N: '##./#.#/#.#/#.#/#.#',
  O: '.#./#.#/#.#/#.#/.#.',
  P: '##./#.#/##./#../#..',
  Q: '.#./#.#/#.#/##./.##',
  R: '##./#.#/##./#.#/#.#',
  S: '.##/#../.#./..#/##.',
  T: '###/.#./.#./.#./.#.',
  U: '#.#/#.#/#.#/#.#/###',
  V: '#.#/#.#/#.#/#.#/.#.',
  W: '#.#/#.#/###/###/#.#',
  X: '#.#/#.#/.#./#.#/#.#',
  Y: '#.#/#.#/.#./.#./.#.',
  Z: '###/..#/.#./#../###',
  '0': '###/#.#/#.#/#.#/###',
  '1': '.#./##./.#./.#./###',
  '2': '##./..#/.#./#../###',
  '3': '##./..#/.#./..#/##.',
  '4': '#.#/#.#/###/..#/..#',
  '5': '###/#../##./..#/##.',
  '6': '.##/#../###/#.#/###',
  '7': '###/..#/.#./.#./.#.',
  '8': '###/#.#/###/#.#/###',
  '9': '###/#.#/###/..#/##.',
  '.': '.../.../.../.../.#.',
  ',': '.../.../.../.#./#..',
  ':': '.../.#./.../.#./...',
  '=': '.../###/.../###/...',
  '-': '.../.../###/.../...',
  '+': '.../.#./###/.#./...',
  '/': '..#/..#/.#./#../#..',
  '(': '.#./#../#../#../.#.',
  ')': '.#./..#/..#/..#/.#.',
  '°': '.#./#.#/.#./.../...',
  '?': '##./..#/.#./.../.#.',
  '[': '##./#../#../#../##.',
  ']': '.##/..#/..#/..#/.##',
  ' ': '.../.../.../.../...',
};

export const GLYPH_W = 3;
export const GLYPH_H = 5;

/** Calls `set(x, y)` for every lit pixel of `text` drawn at (x0, y0) with pixel `scale`. Returns the width drawn. */
export function drawText(text: string, x0: number, y0: number, scale: number, set: (x: number, y: number) => void): number {
  let x = x0;
  for (const ch of text.toUpperCase()) {
    const g = GLYPHS[ch]?.replaceAll('/', '');
    if (g) {
      for (let i = 0; i < 15; i++) {
        if (g[i] !== '#') continue;
        const gx = x + (i % 3) * scale;
        const gy = y0 + Math.floor(i / 3) * scale;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) set(gx + dx, gy + dy);
      }
    }
    x += (GLYPH_W + 1) * scale;
  }
  return x - x0;
}

export function textWidth(text: string, scale: number): number {
  return [...text].length * (GLYPH_W + 1) * scale;
}
