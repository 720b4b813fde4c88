#!/usr/bin/env python3
"""Reference fixture for sani's safetensors reader, written by the reference implementation.

Writes into Tests/SaniEngineTests/Fixtures/safetensors/:

  reference.safetensors   tensors of dtype F32, F16, BF16, F64 (special values: signed zeros,
                          subnormals, largest finite, infinities, NaN, plus seeded random values),
                          an I64 tensor, a zero-size tensor and a scalar; metadata {"format": "pt"}
  reference.json          for every tensor: dtype, shape and the expected float32 values as
                          uint32 bit patterns (PyTorch's own conversion to float32), so the
                          Swift test can compare bit-exactly, NaN included

Deterministic (fixed seed); the files are a few KB.

Usage: python3 scripts/make_safetensors_fixture.py [--out DIR]
"""

import argparse
import json
import math
import os

import torch
from safetensors.torch import save_file

SPECIALS = [0.0, -0.0, 1.0, -2.0, 0.5, 0.1, -3.14159, 1e-3, 65504.0, -65504.0,
            6.103515625e-05,   # smallest normal half
            5.960464477539063e-08,  # smallest subnormal half
            3.0e-06, -1.0e-05,  # subnormal halves
            1e-39, -1e-40,      # float32 subnormals (bf16 keeps them, half flushes to 0)
            3.0e38, -3.0e38,    # beyond half range, inside bf16 range
            math.inf, -math.inf, math.nan]


def special_tensor(dtype, random_count, generator):
    values = torch.tensor(SPECIALS, dtype=torch.float64)
    random = torch.randn(random_count, generator=generator, dtype=torch.float64) * 10
    return torch.cat([values, random]).to(dtype)


def float_bits(tensor):
    """float32 bit patterns of the tensor converted by PyTorch."""
    return [b & 0xFFFFFFFF for b in tensor.to(torch.float32).contiguous().view(torch.int32).flatten().tolist()]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "Tests", "SaniEngineTests", "Fixtures", "safetensors")
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=default_out)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    generator = torch.Generator().manual_seed(1234)
    # Half with a NaN payload and a negative quiet NaN, built from raw bits.
    half_nans = torch.tensor([0x7E01, -0x0200], dtype=torch.int16).view(torch.float16)  # 0x7E01, 0xFE00
    tensors = {
        "f32": special_tensor(torch.float32, 43, generator).reshape(4, 16),
        "f16": torch.cat([special_tensor(torch.float16, 100, generator), half_nans]).reshape(3, 41),
        "bf16": special_tensor(torch.bfloat16, 107, generator).reshape(2, 8, 8),
        "f64": special_tensor(torch.float64, 11, generator).reshape(2, 16),
        "i64": torch.arange(-3, 3, dtype=torch.int64).reshape(2, 3),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "model.layers.0.weight": torch.randn(3, 5, generator=generator, dtype=torch.float32).to(torch.float16),
    }
    path = os.path.join(args.out, "reference.safetensors")
    save_file(tensors, path, metadata={"format": "pt", "note": "sani fixture"})

    expected = {"metadata": {"format": "pt", "note": "sani fixture"}, "tensors": {}}
    for name, tensor in tensors.items():
        entry = {"dtype": str(tensor.dtype).replace("torch.", ""), "shape": list(tensor.shape)}
        if tensor.is_floating_point():
            entry["bits"] = float_bits(tensor)
        expected["tensors"][name] = entry
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
