// MD5 over a File, in slices, in a Web Worker: the page never freezes and a large file is never
// held in memory. Written for tuchuang (RFC 1321); no third-party code.
"use strict";

const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

class MD5 {
  constructor() {
    this.h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
    this.buf = new Uint8Array(64);
    this.used = 0;
    this.total = 0;
    this.w = new Int32Array(16);
  }

  update(bytes) {
    let i = 0;
    this.total += bytes.length;
    if (this.used) {
      const take = Math.min(64 - this.used, bytes.length);
      this.buf.set(bytes.subarray(0, take), this.used);
      this.used += take;
      i = take;
      if (this.used < 64) return;
      this.block(this.buf, 0);
      this.used = 0;
    }
    for (; i + 64 <= bytes.length; i += 64) this.block(bytes, i);
    if (i < bytes.length) {
      this.buf.set(bytes.subarray(i), 0);
      this.used = bytes.length - i;
    }
  }

  block(b, o) {
    const w = this.w;
    for (let j = 0; j < 16; j++) {
      const p = o + 4 * j;
      w[j] = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
    }
    let a = this.h[0], x = this.h[1], c = this.h[2], d = this.h[3];
    for (let j = 0; j < 64; j++) {
      let f, g;
      if (j < 16) { f = (x & c) | (~x & d); g = j; }
      else if (j < 32) { f = (d & x) | (~d & c); g = (5 * j + 1) & 15; }
      else if (j < 48) { f = x ^ c ^ d; g = (3 * j + 5) & 15; }
      else { f = c ^ (x | ~d); g = (7 * j) & 15; }
      const s = S[(j >> 4) * 4 + (j & 3)];
      const t = (a + f + K[j] + w[g]) | 0;
      a = d; d = c; c = x;
      x = (x + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    this.h[0] = (this.h[0] + a) | 0;
    this.h[1] = (this.h[1] + x) | 0;
    this.h[2] = (this.h[2] + c) | 0;
    this.h[3] = (this.h[3] + d) | 0;
  }

  hex() {
    const bits = this.total * 8;
    const pad = new Uint8Array((this.used < 56 ? 64 : 128) - this.used);
    pad[0] = 0x80;
    const lo = bits >>> 0, hi = Math.floor(bits / 4294967296) >>> 0, n = pad.length;
    for (let k = 0; k < 4; k++) {
      pad[n - 8 + k] = (lo >>> (8 * k)) & 255;
      pad[n - 4 + k] = (hi >>> (8 * k)) & 255;
    }
    this.update(pad);
    let out = "";
    for (const v of this.h) for (let k = 0; k < 4; k++) out += ((v >>> (8 * k)) & 255).toString(16).padStart(2, "0");
    return out;
  }
}

const SLICE = 4 << 20;

self.onmessage = async (event) => {
  const { id, file } = event.data;
  try {
    const md5 = new MD5();
    for (let offset = 0; offset < file.size; offset += SLICE) {
      md5.update(new Uint8Array(await file.slice(offset, offset + SLICE).arrayBuffer()));
      self.postMessage({ id, done: Math.min(offset + SLICE, file.size) });
    }
    self.postMessage({ id, md5: md5.hex() });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
