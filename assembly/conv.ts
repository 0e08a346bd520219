// Data movement for conv2d layers done as GEMMs, NHWC, f32.
//
//   im2col:    cols[(n·OH + oh)·OW + ow][(kh·kernel + kw)·C + c] = image[n][ih][iw][c]
//   col2imAdd: image[n][ih][iw][c] += cols[...]           (the adjoint, for the input gradient)
//
// with ih = oh·stride + kh - padTop, iw = ow·stride + kw - padLeft; pixels outside the image
// read as 0 (im2col) or are dropped (col2imAdd). For one (n, oh, ow, kh) the in-range kw taps
// are one contiguous run of floats in both the image row and the patch row, so each kernel
// works run by run: zeros (or nothing) for the padding, one vector copy (or add) for the rest.
// col2imAdd adds in the fixed order n, oh, ow, kh, kw, c; the vector add keeps that order per
// element, so the result depends on the inputs only.

// @ts-ignore: decorator
@inline function copyRun(dst: usize, src: usize, n: i32): void {
  const bytes = <usize>n << 2, body = bytes & ~(<usize>15);
  let o: usize = 0;
  for (; o < body; o += 16) v128.store(dst + o, v128.load(src + o));
  // As integers: a copy keeps every bit pattern, NaN payloads included.
  for (; o < bytes; o += 4) store<u32>(dst + o, load<u32>(src + o));
}

// @ts-ignore: decorator
@inline function zeroRun(dst: usize, n: i32): void {
  const bytes = <usize>n << 2, body = bytes & ~(<usize>15);
  const zero = i32x4.splat(0);
  let o: usize = 0;
  for (; o < body; o += 16) v128.store(dst + o, zero);
  for (; o < bytes; o += 4) store<u32>(dst + o, 0);
}

// @ts-ignore: decorator
@inline function addRun(dst: usize, src: usize, n: i32): void {
  const bytes = <usize>n << 2, body = bytes & ~(<usize>15);
  let o: usize = 0;
  for (; o < body; o += 16) v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  for (; o < bytes; o += 4) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
}

// The kw taps of patch column ow that fall inside the image: [kw0, kw1), both in [0, kernel].
// @ts-ignore: decorator
@inline function firstTap(iw: i32, kernel: i32): i32 {
  return min(max(-iw, 0), kernel);
}

// @ts-ignore: decorator
@inline function endTap(iw: i32, W: i32, kernel: i32, kw0: i32): i32 {
  return max(min(W - iw, kernel), kw0);
}

export function im2col(cols: usize, image: usize, images: i32, H: i32, W: i32, C: i32,
                       OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>W * pixelBytes;
  const imageBytes = <usize>H * rowBytes;
  const tapRow = kernel * C; // floats of one kh slice of a patch row
  const tapRowBytes = <usize>tapRow << 2;
  let dst = cols;
  for (let n = 0; n < images; n++) {
    const img = image + <usize>n * imageBytes;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * stride - padTop;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * stride - padLeft;
        const kw0 = firstTap(iw0, kernel), kw1 = endTap(iw0, W, kernel, kw0);
        const lead = kw0 * C, run = (kw1 - kw0) * C, trail = tapRow - lead - run;
        const leadBytes = <usize>lead << 2, runBytes = <usize>run << 2;
        const src = img + <usize>(iw0 + kw0) * pixelBytes; // iw0 + kw0 ≥ 0 by firstTap
        for (let kh = 0; kh < kernel; kh++) {
          const ih = ih0 + kh;
          if (<u32>ih >= <u32>H) {
            zeroRun(dst, tapRow);
          } else {
            if (lead) zeroRun(dst, lead);
            copyRun(dst + leadBytes, src + <usize>ih * rowBytes, run);
            if (trail) zeroRun(dst + leadBytes + runBytes, trail);
          }
          dst += tapRowBytes;
        }
      }
    }
  }
}

export function col2imAdd(image: usize, cols: usize, images: i32, H: i32, W: i32, C: i32,
                          OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>W * pixelBytes;
  const imageBytes = <usize>H * rowBytes;
  const tapRowBytes = <usize>(kernel * C) << 2;
  let src = cols;
  for (let n = 0; n < images; n++) {
    const img = image + <usize>n * imageBytes;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * stride - padTop;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * stride - padLeft;
        const kw0 = firstTap(iw0, kernel), kw1 = endTap(iw0, W, kernel, kw0);
        const run = (kw1 - kw0) * C;
        const leadBytes = <usize>(kw0 * C) << 2;
        const dst = img + <usize>(iw0 + kw0) * pixelBytes;
        for (let kh = 0; kh < kernel; kh++) {
          const ih = ih0 + kh;
          if (<u32>ih < <u32>H) addRun(dst + <usize>ih * rowBytes, src + leadBytes, run);
          src += tapRowBytes;
        }
      }
    }
  }
}

// out[r][c] = row[c]: fills a conv output with its bias before col2imAdd or a GEMM adds to it.
export function broadcastRows(out: usize, row: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) copyRun(out + <usize>r * rowBytes, row, cols);
}
