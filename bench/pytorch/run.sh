#!/bin/sh
# Run the PyTorch reference with Debian's torch on OpenBLAS's OpenMP build.
# Needs: apt-get install python3-torch python3-numpy libopenblas0-openmp
# Usage: bench/pytorch/run.sh [--init torch|keras] [--padding tf|torch] [--threads N] ...
set -e
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-openmp}
if [ ! -e "$OPENBLAS_DIR/libopenblas.so.0" ]; then
  echo "run.sh: $OPENBLAS_DIR/libopenblas.so.0 not found (apt-get install libopenblas0-openmp)" >&2
  exit 1
fi
export LD_LIBRARY_PATH="$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/conv_autoencoder.py" "$@"
