// Data movement for conv2d layers done as GEMMs, NHWC, f32.
//
//   im2col:    cols[(n·OH + oh)·OW + ow][(kh·kernel + kw)·C + c] = image[n][ih][iw][c]
//   col2imAdd: image[n][ih][iw][c] += cols[...]           (the adjoint, for the input gradient)
//
// with ih = oh·stride + kh - padTop, iw = ow·stride + kw - padLeft; pixels outside the image
// read as 0 (im2col) or are dropped (col2imAdd). For one (n, oh, ow, kh) the in-range kw taps
// are one contiguous run of floats in both the image row and the patch row, so each kernel
// works run by run: zeros (or nothing) for the padding, one vector copy (or add) for the rest.
// For C < 4 the runs are too short for that; see im2colSmallC below. col2imAdd adds to each
// element in the fixed order n, oh, ow, kh, kw, c (it may visit different elements in another
// order), so the result depends on the inputs only.

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

// One patch, tap row by tap row: zeros, then the in-range run, then zeros. Any C, any position.
// @ts-ignore: decorator
@inline function im2colPatch(dst: usize, img: usize, ih0: i32, iw0: i32, H: i32, W: i32, C: i32,
                             kernel: i32, rowBytes: usize, pixelBytes: usize): void {
  const tapRow = kernel * C, tapRowBytes = <usize>tapRow << 2;
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

// @ts-ignore: decorator
@inline function col2imAddPatch(img: usize, src: usize, ih0: i32, iw0: i32, H: i32, W: i32, C: i32,
                                kernel: i32, rowBytes: usize, pixelBytes: usize): void {
  const tapRowBytes = <usize>(kernel * C) << 2;
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

// im2col and col2imAdd walk the patches the same way and differ in what one patch does (copy
// out of the image, add back into it). The walk is inlined into each with a constant `add`, so
// neither kernel keeps a branch per patch.
// @ts-ignore: decorator
@inline function eachPatch(add: bool, cols: usize, image: usize, images: i32, H: i32, W: i32, C: i32,
                           OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>W * pixelBytes;
  const imageBytes = <usize>H * rowBytes;
  const patchBytes = <usize>(kernel * kernel * C) << 2;
  let patch = cols;
  for (let n = 0; n < images; n++) {
    const img = image + <usize>n * imageBytes;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, patch += patchBytes) {
        const ih0 = oh * stride - padTop, iw0 = ow * stride - padLeft;
        if (add) col2imAddPatch(img, patch, ih0, iw0, H, W, C, kernel, rowBytes, pixelBytes);
        else im2colPatch(patch, img, ih0, iw0, H, W, C, kernel, rowBytes, pixelBytes);
      }
    }
  }
}

export function im2col(cols: usize, image: usize, images: i32, H: i32, W: i32, C: i32,
                       OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  if (C < SMALL_C) im2colSmallC(cols, image, images, H, W, C, OH, OW, kernel, stride, padTop, padLeft);
  else eachPatch(false, cols, image, images, H, W, C, OH, OW, kernel, stride, padTop, padLeft);
}

export function col2imAdd(image: usize, cols: usize, images: i32, H: i32, W: i32, C: i32,
                          OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  if (C < SMALL_C) col2imAddSmallC(image, cols, images, H, W, C, OH, OW, kernel, stride, padTop, padLeft);
  else eachPatch(true, cols, image, images, H, W, C, OH, OW, kernel, stride, padTop, padLeft);
}

// Small C (1 to 3 channels: the image side of a network's first and last layers). A tap row is
// then only kernel·C floats, and copyRun/addRun's loops cost more than the data. These kernels
// move each tap row as whole vectors instead (vecBytes per tap row), the last reaching up to 3
// floats past it: im2col lets those floats spill into the next tap row, which is written after
// it (all writes go in address order); col2imAdd stores their old bits back, so a call must own
// its whole image tensor (callers split work by images). Interior patches (all taps inside the
// image) need no bounds; for border patches a lane mask zeroes (im2col) or keeps (col2imAdd) the
// lanes outside the image, whose loads read beside the image row. No vector reaches outside cols
// or the image tensor: patches whose vectors would take the per-run path above.
const SMALL_C = 4;

// Patches whose taps all fall inside the image horizontally: columns [interiorStart, interiorEnd).
// @ts-ignore: decorator
@inline function interiorStart(stride: i32, padLeft: i32, OW: i32): i32 {
  return min(max(padLeft + stride - 1, 0) / stride, OW);
}

// @ts-ignore: decorator
@inline function interiorEnd(W: i32, kernel: i32, stride: i32, padLeft: i32, OW: i32, start: i32): i32 {
  const room = W - kernel + padLeft;
  return room < 0 ? start : max(min(room / stride + 1, OW), start);
}

// Lowers `end` until the vectors of patch column end - 1 stay inside cols and the image tensor:
// its cols vectors end colsTail bytes after the patch; its last image vectors vecBytes after
// lastImage + ow·strideBytes.
// @ts-ignore: decorator
@inline function fastEnd(start: i32, end: i32, rowCols: usize, colsTail: usize, colsEnd: usize,
                         lastImage: usize, vecBytes: usize, imageEnd: usize,
                         patchBytes: usize, strideBytes: usize): i32 {
  while (end > start) {
    const ow = <usize>(end - 1);
    if (rowCols + ow * patchBytes + colsTail <= colsEnd &&
        lastImage + ow * strideBytes + vecBytes <= imageEnd) break;
    end--;
  }
  return end;
}

// Whether a border patch's vectors stay inside the image tensor and cols. `first` is the image
// address of its first in-range tap row at iw0 (below the row start when iw0 < 0, maybe wrapped).
// @ts-ignore: decorator
@inline function borderFits(first: usize, lastRowOffset: usize, vecBytes: usize, image: usize, imageEnd: usize,
                            colsLast: usize, colsEnd: usize): bool {
  const last = first + lastRowOffset + vecBytes;
  return first >= image && first < last && last <= imageEnd && colsLast <= colsEnd;
}

// Lanes of the vector at float index j4 = (4j, 4j+1, 4j+2, 4j+3) of a tap row that lie in [lo, lo + run).
// @ts-ignore: decorator
@inline function tapMask(j4: v128, lo: i32, run: i32): v128 {
  return i32x4.lt_u(i32x4.sub(j4, i32x4.splat(lo)), i32x4.splat(run));
}

// Copies `rows` tap rows of a patch from the image, vecBytes per row.
// @ts-ignore: decorator
@inline function copyTapRows(d: usize, s: usize, rows: i32, tapRowBytes: usize, rowBytes: usize, vecBytes: usize): void {
  if (vecBytes == 16) {
    for (let r = 0; r < rows; r++, d += tapRowBytes, s += rowBytes) v128.store(d, v128.load(s));
  } else if (vecBytes == 32) {
    for (let r = 0; r < rows; r++, d += tapRowBytes, s += rowBytes) {
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
    }
  } else {
    for (let r = 0; r < rows; r++, d += tapRowBytes, s += rowBytes) {
      for (let o: usize = 0; o < vecBytes; o += 16) v128.store(d + o, v128.load(s + o));
    }
  }
}

// @ts-ignore: decorator
@inline function zeroTapRows(d: usize, rows: i32, tapRowBytes: usize, vecBytes: usize): void {
  const zero = i32x4.splat(0);
  for (let r = 0; r < rows; r++, d += tapRowBytes) {
    for (let o: usize = 0; o < vecBytes; o += 16) v128.store(d + o, zero);
  }
}

// One patch of im2colSmallC outside the interior. `first` is the image address of its first
// in-range tap row at iw0 (below the row start when iw0 < 0).
// @ts-ignore: decorator
@inline function im2colBorder(dst: usize, img: usize, first: usize, ih0: i32, iw0: i32, khLo: i32, khHi: i32,
                              H: i32, W: i32, C: i32, kernel: i32, rowBytes: usize, pixelBytes: usize,
                              vecBytes: usize, image: usize, imageEnd: usize, colsEnd: usize): void {
  const tapRowBytes = <usize>(kernel * C) << 2;
  const kw0 = firstTap(iw0, kernel), run = (endTap(iw0, W, kernel, kw0) - kw0) * C;
  const inRows = khHi - khLo;
  const lastRowOffset = <usize>max(inRows - 1, 0) * rowBytes;
  if (!run || !inRows || !borderFits(first, lastRowOffset, vecBytes, image, imageEnd,
                                     dst + <usize>(kernel - 1) * tapRowBytes + vecBytes, colsEnd)) {
    im2colPatch(dst, img, ih0, iw0, H, W, C, kernel, rowBytes, pixelBytes);
    return;
  }
  const lo = kw0 * C;
  zeroTapRows(dst, khLo, tapRowBytes, vecBytes);
  let d = dst + <usize>khLo * tapRowBytes, s = first;
  if (vecBytes == 16) {
    const m = tapMask(i32x4(0, 1, 2, 3), lo, run);
    for (let kh = khLo; kh < khHi; kh++, d += tapRowBytes, s += rowBytes) v128.store(d, v128.and(v128.load(s), m));
  } else {
    const four = i32x4.splat(4);
    for (let kh = khLo; kh < khHi; kh++, d += tapRowBytes, s += rowBytes) {
      let j4 = i32x4(0, 1, 2, 3);
      for (let o: usize = 0; o < vecBytes; o += 16, j4 = i32x4.add(j4, four)) {
        v128.store(d + o, v128.and(v128.load(s + o), tapMask(j4, lo, run)));
      }
    }
  }
  zeroTapRows(d, kernel - khHi, tapRowBytes, vecBytes);
}

function im2colSmallC(cols: usize, image: usize, images: i32, H: i32, W: i32, C: i32,
                      OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>W * pixelBytes;
  const imageBytes = <usize>H * rowBytes;
  const tapRow = kernel * C;
  const tapRowBytes = <usize>tapRow << 2;
  const patchBytes = <usize>kernel * tapRowBytes;
  const strideBytes = <usize>stride * pixelBytes;
  const vecBytes = <usize>((tapRow + 3) >> 2) << 4;
  const colsTail = <usize>(kernel - 1) * tapRowBytes + vecBytes;
  const padBytes = <usize>padLeft * pixelBytes;
  const owLo = interiorStart(stride, padLeft, OW);
  const owHi = interiorEnd(W, kernel, stride, padLeft, OW, owLo);
  const colsEnd = cols + <usize>images * <usize>(OH * OW) * patchBytes;
  const imageEnd = image + <usize>images * imageBytes;
  let dst = cols;
  for (let n = 0; n < images; n++) {
    const img = image + <usize>n * imageBytes;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * stride - padTop;
      const khLo = firstTap(ih0, kernel), khHi = endTap(ih0, H, kernel, khLo);
      const inRows = khHi - khLo;
      // Image address of patch column 0's first in-range tap row (at iw0 = -padLeft).
      const rowImage = img + <usize>(ih0 + khLo) * rowBytes - padBytes;
      const lastRowOffset = <usize>max(inRows - 1, 0) * rowBytes;
      const end = inRows ? fastEnd(owLo, owHi, dst, colsTail, colsEnd, rowImage + lastRowOffset, vecBytes,
                                   imageEnd, patchBytes, strideBytes) : owLo;
      let ow = 0, src = rowImage;
      for (; ow < owLo; ow++, dst += patchBytes, src += strideBytes) {
        im2colBorder(dst, img, src, ih0, ow * stride - padLeft, khLo, khHi, H, W, C, kernel, rowBytes, pixelBytes,
                     vecBytes, image, imageEnd, colsEnd);
      }
      if (kernel == 3 && inRows == 3 && vecBytes == 16) { // C = 1, 3×3: the MNIST layers
        const r2 = rowBytes << 1, t2 = tapRowBytes << 1;
        for (; ow < end; ow++, dst += patchBytes, src += strideBytes) {
          v128.store(dst, v128.load(src));
          v128.store(dst + tapRowBytes, v128.load(src + rowBytes));
          v128.store(dst + t2, v128.load(src + r2));
        }
      } else {
        const khBytes = <usize>khLo * tapRowBytes;
        for (; ow < end; ow++, dst += patchBytes, src += strideBytes) {
          zeroTapRows(dst, khLo, tapRowBytes, vecBytes);
          copyTapRows(dst + khBytes, src, inRows, tapRowBytes, rowBytes, vecBytes);
          zeroTapRows(dst + khBytes + <usize>inRows * tapRowBytes, kernel - khHi, tapRowBytes, vecBytes);
        }
      }
      for (; ow < OW; ow++, dst += patchBytes, src += strideBytes) {
        im2colBorder(dst, img, src, ih0, ow * stride - padLeft, khLo, khHi, H, W, C, kernel, rowBytes, pixelBytes,
                     vecBytes, image, imageEnd, colsEnd);
      }
    }
  }
}

// Adds `rows` tap rows of a patch onto the image, vecBytes per row; the last vector's lanes past
// the tap row (not in `keep`) get their old bits back.
// @ts-ignore: decorator
@inline function addTapRows(d: usize, s: usize, rows: i32, tapRowBytes: usize, rowBytes: usize, vecBytes: usize,
                            keep: v128): void {
  const lastVec = vecBytes - 16;
  for (let r = 0; r < rows; r++, d += rowBytes, s += tapRowBytes) {
    let o: usize = 0;
    for (; o < lastVec; o += 16) v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    const old = v128.load(d + o);
    v128.store(d + o, v128.bitselect(f32x4.add(old, v128.load(s + o)), old, keep));
  }
}

// Images processed side by side in col2imAdd: patch column ow + 1 adds to image floats that ow
// has just stored, and a vector load that overlaps part of a pending store waits for it; the
// other images' patches fill that wait.
const GROUP = 8;

function col2imAddSmallC(image: usize, cols: usize, images: i32, H: i32, W: i32, C: i32,
                         OH: i32, OW: i32, kernel: i32, stride: i32, padTop: i32, padLeft: i32): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>W * pixelBytes;
  const imageBytes = <usize>H * rowBytes;
  const tapRow = kernel * C;
  const tapRowBytes = <usize>tapRow << 2;
  const patchBytes = <usize>kernel * tapRowBytes;
  const imageColsBytes = <usize>(OH * OW) * patchBytes;
  const strideBytes = <usize>stride * pixelBytes;
  const vecs = (tapRow + 3) >> 2;
  const vecBytes = <usize>vecs << 4;
  const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(tapRow - ((vecs - 1) << 2))); // last vector's own lanes
  const padBytes = <usize>padLeft * pixelBytes;
  const owLo = interiorStart(stride, padLeft, OW);
  const owHi = interiorEnd(W, kernel, stride, padLeft, OW, owLo);
  const colsEnd = cols + <usize>images * imageColsBytes;
  const imageEnd = image + <usize>images * imageBytes;
  for (let n0 = 0; n0 < images; n0 += GROUP) {
    const group = min(GROUP, images - n0);
    const groupImage = image + <usize>n0 * imageBytes, groupCols = cols + <usize>n0 * imageColsBytes;
    const lastImageOffset = <usize>(group - 1) * imageBytes, lastColsOffset = <usize>(group - 1) * imageColsBytes;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * stride - padTop;
      const khLo = firstTap(ih0, kernel), khHi = endTap(ih0, H, kernel, khLo);
      const inRows = khHi - khLo;
      if (!inRows) continue; // no tap row of this patch row lands in the image
      const rowCols = groupCols + <usize>(oh * OW) * patchBytes;
      const rowImage = groupImage + <usize>(ih0 + khLo) * rowBytes - padBytes;
      const lastRowOffset = <usize>(inRows - 1) * rowBytes;
      const khBytes = <usize>khLo * tapRowBytes;
      const colsTail = <usize>(khHi - 1) * tapRowBytes + vecBytes;
      const end = fastEnd(owLo, owHi, rowCols + lastColsOffset, colsTail, colsEnd,
                          rowImage + lastImageOffset + lastRowOffset, vecBytes, imageEnd, patchBytes, strideBytes);
      for (let g = 0; g < group; g++) {
        const img = groupImage + <usize>g * imageBytes;
        let src = rowCols + <usize>g * imageColsBytes;
        for (let ow = 0; ow < owLo; ow++, src += patchBytes) {
          col2imAddBorder(img, src, rowImage + <usize>g * imageBytes + <usize>ow * strideBytes, ih0, ow * stride - padLeft,
                          khLo, khHi, H, W, C, kernel, rowBytes, pixelBytes, vecBytes, image, imageEnd, colsEnd);
        }
      }
      let src = rowCols + <usize>owLo * patchBytes, dst = rowImage + <usize>owLo * strideBytes;
      if (kernel == 3 && inRows == 3 && tapRow == 3) { // C = 1, 3×3: the MNIST layers
        // The shuffles put back lane 3 (the float after the tap row) as a blend.
        const r1 = rowBytes, r2 = rowBytes << 1, t1 = tapRowBytes, t2 = tapRowBytes << 1;
        for (let ow = owLo; ow < end; ow++, src += patchBytes, dst += strideBytes) {
          for (let g = 0; g < group; g++) {
            const d = dst + <usize>g * imageBytes, s = src + <usize>g * imageColsBytes;
            const a = v128.load(d), b = v128.load(d + r1), c = v128.load(d + r2);
            v128.store(d, i8x16.shuffle(f32x4.add(a, v128.load(s)), a, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 28, 29, 30, 31));
            v128.store(d + r1, i8x16.shuffle(f32x4.add(b, v128.load(s + t1)), b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 28, 29, 30, 31));
            v128.store(d + r2, i8x16.shuffle(f32x4.add(c, v128.load(s + t2)), c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 28, 29, 30, 31));
          }
        }
      } else {
        for (let ow = owLo; ow < end; ow++, src += patchBytes, dst += strideBytes) {
          for (let g = 0; g < group; g++) {
            addTapRows(dst + <usize>g * imageBytes, src + <usize>g * imageColsBytes + khBytes, inRows,
                       tapRowBytes, rowBytes, vecBytes, keep);
          }
        }
      }
      for (let g = 0; g < group; g++) {
        const img = groupImage + <usize>g * imageBytes;
        let src = rowCols + <usize>g * imageColsBytes + <usize>end * patchBytes;
        for (let ow = end; ow < OW; ow++, src += patchBytes) {
          col2imAddBorder(img, src, rowImage + <usize>g * imageBytes + <usize>ow * strideBytes, ih0, ow * stride - padLeft,
                          khLo, khHi, H, W, C, kernel, rowBytes, pixelBytes, vecBytes, image, imageEnd, colsEnd);
        }
      }
    }
  }
}

// One patch of col2imAddSmallC outside the interior. `first` is the image address of its first
// in-range tap row at iw0.
// @ts-ignore: decorator
@inline function col2imAddBorder(img: usize, src: usize, first: usize, ih0: i32, iw0: i32, khLo: i32, khHi: i32,
                                 H: i32, W: i32, C: i32, kernel: i32, rowBytes: usize, pixelBytes: usize,
                                 vecBytes: usize, image: usize, imageEnd: usize, colsEnd: usize): void {
  const tapRowBytes = <usize>(kernel * C) << 2;
  const kw0 = firstTap(iw0, kernel), run = (endTap(iw0, W, kernel, kw0) - kw0) * C;
  if (!run) return; // the whole patch lies beside the image
  const inRows = khHi - khLo;
  const lastRowOffset = <usize>(inRows - 1) * rowBytes;
  let s = src + <usize>khLo * tapRowBytes;
  if (!borderFits(first, lastRowOffset, vecBytes, image, imageEnd, s + <usize>(inRows - 1) * tapRowBytes + vecBytes, colsEnd)) {
    col2imAddPatch(img, src, ih0, iw0, H, W, C, kernel, rowBytes, pixelBytes);
    return;
  }
  const lo = kw0 * C;
  let d = first;
  if (vecBytes == 16) {
    const m = tapMask(i32x4(0, 1, 2, 3), lo, run);
    for (let kh = khLo; kh < khHi; kh++, s += tapRowBytes, d += rowBytes) {
      const old = v128.load(d);
      v128.store(d, v128.bitselect(f32x4.add(old, v128.load(s)), old, m));
    }
    return;
  }
  const four = i32x4.splat(4);
  for (let kh = khLo; kh < khHi; kh++, s += tapRowBytes, d += rowBytes) {
    let j4 = i32x4(0, 1, 2, 3);
    for (let o: usize = 0; o < vecBytes; o += 16, j4 = i32x4.add(j4, four)) {
      const old = v128.load(d + o);
      v128.store(d + o, v128.bitselect(f32x4.add(old, v128.load(s + o)), old, tapMask(j4, lo, run)));
    }
  }
}
