/**
 * A small PNG reader for the browser tests' screenshots (8-bit RGB or RGBA, not interlaced, as
 * Chromium writes them): chunks, inflate, and the five scanline filters of the PNG specification
 * (W3C PNG, section 9).
 */
import { inflateSync } from "node:zlib";

export interface Image {
  width: number;
  height: number;
  /** RGBA, row after row. */
  data: Uint8Array;
}

export function decodePng(png: Uint8Array): Image {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (pos < png.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const depth = body[8]!, color = body[9]!, interlace = body[12]!;
      if (depth !== 8 || interlace !== 0 || (color !== 2 && color !== 6)) throw new Error(`decodePng: unsupported PNG (depth ${depth}, colour type ${color}, interlace ${interlace})`);
      channels = color === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels]! : 0, b = up[i]!, c = i >= channels ? up[i - channels]! : 0;
      let p = line[i]!;
      if (filter === 1) p += a;
      else if (filter === 2) p += b;
      else if (filter === 3) p += (a + b) >> 1;
      else if (filter === 4) {
        const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
        p += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = p & 255;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let k = 0; k < width * height; k++) {
    data[4 * k] = pixels[k * channels]!;
    data[4 * k + 1] = pixels[k * channels + 1]!;
    data[4 * k + 2] = pixels[k * channels + 2]!;
    data[4 * k + 3] = channels === 4 ? pixels[k * channels + 3]! : 255;
  }
  return { width, height, data };
}

/** Pixels within `tol` (per channel) of the colour `hex` ("#4e79a7"), as [x, y] pairs. */
export function pixelsOf(img: Image, hex: string, tol = 40): [number, number][] {
  const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
  const out: [number, number][] = [];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const k = 4 * (y * img.width + x);
      if (Math.abs(img.data[k]! - r) <= tol && Math.abs(img.data[k + 1]! - g) <= tol && Math.abs(img.data[k + 2]! - b) <= tol) out.push([x, y]);
    }
  }
  return out;
}
