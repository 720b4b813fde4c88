#!/usr/bin/env python3
"""Reference fixture for sani's targeted-forgetting loss (NPO at chosen positions).

Reads the tiny GPT-2 of Tests/SaniEngineTests/Fixtures/gpt2-tiny (model/ and batch.json, written by
make_gpt2_fixtures.py) and writes into the same folder:

  forget.json           forget weights (1 at the positions whose cross-entropy weight is 0, the
                        "sensitive" ones), reference log-probabilities, beta and scale
  forget.safetensors    loss [1] and the gradient of every parameter (state_dict names) of
                        loss = sum(w * ce) / sum(w)
                             + scale * sum(f * (2 / beta) * softplus(beta * (logp - ref))) / sum(f)
                        where logp = -ce is the log-probability of the target

The reference values are the model's own log-probabilities moved by -2 .. +2 nats, so that the
preference term's sigmoid takes many values. float32, one thread: two runs give identical files.

Usage: python3 scripts/make_forget_fixture.py
"""

import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import GPT2LMHeadModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests", "SaniEngineTests", "Fixtures", "gpt2-tiny")
BETA = 0.7
SCALE = 0.6


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    model = GPT2LMHeadModel.from_pretrained(os.path.join(FIXTURE, "model"), attn_implementation="eager").float()
    model.eval()
    batch = json.load(open(os.path.join(FIXTURE, "batch.json")))
    tokens = torch.tensor(batch["tokens"])
    targets = torch.tensor(batch["targets"])
    weights = torch.tensor(batch["weights"], dtype=torch.float32)
    forget = (weights == 0).float()

    with torch.no_grad():
        logits = model(input_ids=tokens).logits
        logp = -F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
        offsets = torch.linspace(-2.0, 2.0, logp.numel())
        reference = (logp + offsets).reshape(targets.shape)

    model.zero_grad()
    logits = model(input_ids=tokens).logits
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").reshape(
        targets.shape
    )
    repair = (weights * ce).sum() / weights.sum()
    delta = -ce - reference
    npo = (forget * (2.0 / BETA) * F.softplus(BETA * delta)).sum() / forget.sum()
    loss = repair + SCALE * npo
    loss.backward()

    tensors = {"loss": loss.detach().reshape(1).contiguous()}
    for name, p in model.named_parameters():
        tensors[name] = p.grad.detach().contiguous().clone()
    save_file(tensors, os.path.join(FIXTURE, "forget.safetensors"))
    with open(os.path.join(FIXTURE, "forget.json"), "w") as f:
        json.dump({"forget": forget.tolist(), "reference": reference.tolist(), "beta": BETA, "scale": SCALE}, f)
    print(f"loss {loss.item():.6f}, {int(forget.sum().item())} forgotten positions")


if __name__ == "__main__":
    main()
