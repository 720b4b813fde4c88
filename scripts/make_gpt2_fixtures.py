#!/usr/bin/env python3
"""Reference fixtures for sani's GPT-2 engine (forward, backward, AdamW, greedy decode).

Builds a tiny, randomly initialised GPT-2 language model in PyTorch and writes
into Tests/SaniEngineTests/Fixtures/gpt2-tiny/:

  model/                    config.json + model.safetensors (the tiny model)
  batch.json                tokens, targets and 0/1 loss weights, B=2, T=16
  forward.safetensors       logits [2,16,101], per-position cross-entropy ce [2,16],
                            weighted loss [1]
  grads.safetensors         gradient of the weighted loss for every parameter
                            (state_dict names) + grad_norm [1]
  adamw.json                AdamW/clipping hyperparameters, per-step losses and
                            pre-clip gradient norms
  after_adamw.safetensors   every parameter after the AdamW steps
  generate.json             greedy continuations of 3 prompts + next-token logits
                            of each prompt's last position

Everything is float32 on CPU with one thread and a fixed seed, so two runs give
byte-identical files.

Usage: python3 scripts/make_gpt2_fixtures.py [--out DIR]
"""

import argparse
import copy
import hashlib
import json
import os
import shutil

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel

SEED = 0
B, T = 2, 16
VOCAB = 101
HYPER = {
    "lr": 1e-3,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "weight_decay": 0.1,
    "clip_norm": 1.0,
    "steps": 2,
}
PROMPT_LENGTHS = [1, 5, 9]
NEW_TOKENS = 12
MIN_GAP = 0.05  # smallest accepted top-1/top-2 logit gap during greedy decoding
MIN_DISTINCT = 4  # fewest distinct tokens accepted in a greedy continuation

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "SaniEngineTests", "Fixtures", "gpt2-tiny")


def setup_determinism():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)


def build_model():
    config = GPT2Config(
        n_layer=2,
        n_embd=32,
        n_head=4,
        n_positions=64,
        vocab_size=VOCAB,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        tie_word_embeddings=True,
        # Wider init than GPT-2's 0.02: with tied embeddings a 0.02 model just
        # repeats its last token under greedy decoding, which would hide cache bugs.
        initializer_range=0.2,
        # The vocabulary has no special tokens; nothing may stop generation early.
        bos_token_id=None,
        eos_token_id=None,
    )
    config._attn_implementation = "eager"
    model = GPT2LMHeadModel(config).float()
    model.eval()

    # Non-trivial layer norms and linear biases, so that a wrong parameter
    # mapping (or a swapped weight/bias) shows up in every comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")
            if any(part.startswith("ln_") for part in leaf):
                if leaf[-1] == "weight":
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
                else:
                    p.copy_(0.1 * torch.randn_like(p))
            elif leaf[-1] == "bias":
                p.copy_(0.02 * torch.randn_like(p))

    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr(), "lm_head must be tied to wte"
    assert model.config._attn_implementation == "eager"
    return model


def make_batch():
    g = torch.Generator().manual_seed(SEED + 1)
    seq = torch.randint(0, VOCAB, (B, T + 1), generator=g)
    tokens = seq[:, :T]
    targets = seq[:, 1:]
    weights = (torch.rand(B, T, generator=g) >= 0.3).float()
    # At least one masked and one counted position in every row.
    for b in range(B):
        if weights[b].min() > 0:
            weights[b, int(torch.randint(0, T, (1,), generator=g))] = 0.0
        if weights[b].max() == 0:
            weights[b, 0] = 1.0
    return tokens, targets, weights


def weighted_loss(model, tokens, targets, weights):
    logits = model(input_ids=tokens).logits  # [B, T, V]
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").reshape(
        targets.shape
    )
    loss = (weights * ce).sum() / weights.sum()
    return logits, ce, loss


def global_grad_norm(params):
    return torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params if p.grad is not None)).item()


def param_groups(model):
    decay, no_decay = [], []
    for _, p in model.named_parameters():  # named_parameters() lists the tied wte/lm_head once
        (decay if p.dim() >= 2 else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": HYPER["weight_decay"]},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def greedy(model, ids):
    """Greedy continuation of `ids` [1, n] through the cached generate path,
    plus the gap between the best and second-best logit at each step."""
    res = model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=NEW_TOKENS,
        min_new_tokens=NEW_TOKENS,
        do_sample=False,
        eos_token_id=None,
        pad_token_id=0,
        use_cache=True,
        return_dict_in_generate=True,
        output_scores=True,
    )
    cont = res.sequences[0, ids.shape[1] :].tolist()
    assert len(cont) == NEW_TOKENS, cont
    gaps = []
    for score in res.scores:
        top2 = score[0].topk(2).values
        gaps.append((top2[0] - top2[1]).item())
    return cont, gaps


def contiguous(tensors):
    return {k: v.detach().contiguous().clone() for k, v in tensors.items()}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)

    setup_determinism()
    model = build_model()
    original = copy.deepcopy(model)  # untouched copy for generation
    tokens, targets, weights = make_batch()

    # --- model -------------------------------------------------------------
    model_dir = os.path.join(out, "model")
    if os.path.isdir(model_dir):
        shutil.rmtree(model_dir)
    model.save_pretrained(model_dir)
    from safetensors import safe_open

    with safe_open(os.path.join(model_dir, "model.safetensors"), "pt") as f:
        saved_names = sorted(f.keys())
        saved_meta = f.metadata()

    # --- batch -------------------------------------------------------------
    with open(os.path.join(out, "batch.json"), "w") as f:
        json.dump(
            {"tokens": tokens.tolist(), "targets": targets.tolist(), "weights": weights.tolist()},
            f,
        )
        f.write("\n")

    # --- forward + backward -------------------------------------------------
    model.zero_grad(set_to_none=True)
    logits, ce, loss = weighted_loss(model, tokens, targets, weights)
    loss.backward()
    save_file(
        contiguous({"logits": logits, "ce": ce, "loss": loss.reshape(1)}),
        os.path.join(out, "forward.safetensors"),
    )

    named = dict(model.named_parameters())
    grads = {name: p.grad for name, p in named.items()}
    gnorm = global_grad_norm(named.values())
    grads["grad_norm"] = torch.tensor([gnorm], dtype=torch.float32)
    save_file(contiguous(grads), os.path.join(out, "grads.safetensors"))

    # --- AdamW steps --------------------------------------------------------
    opt = torch.optim.AdamW(
        param_groups(model),
        lr=HYPER["lr"],
        betas=(HYPER["beta1"], HYPER["beta2"]),
        eps=HYPER["eps"],
        foreach=False,
    )
    params = list(model.parameters())
    step_losses, step_norms = [], []
    for _ in range(HYPER["steps"]):
        opt.zero_grad(set_to_none=True)
        _, _, step_loss = weighted_loss(model, tokens, targets, weights)
        step_loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, HYPER["clip_norm"])
        opt.step()
        step_losses.append(step_loss.item())
        step_norms.append(norm.item())
    after = {name: p for name, p in model.named_parameters()}
    n_embd = model.config.n_embd
    save_file(contiguous(after), os.path.join(out, "after_adamw.safetensors"))
    with open(os.path.join(out, "adamw.json"), "w") as f:
        json.dump(
            {
                "hyperparameters": HYPER,
                "decay": "parameters with dim >= 2 (weights, wte, wpe); 1-D parameters are not decayed",
                # The key part of each c_attn bias shifts every score of a query
                # by the same amount, so its true gradient is zero and the
                # stored one is roundoff (~1e-9). Adam turns that into updates of
                # up to lr per step whose sign is noise: compare these slices
                # [start, end) only loosely (|delta| <= lr * steps).
                "roundoff_slices": {
                    f"transformer.h.{i}.attn.c_attn.bias": [n_embd, 2 * n_embd]
                    for i in range(model.config.n_layer)
                },
                "losses": step_losses,
                "grad_norms": step_norms,
            },
            f,
            indent=1,
        )
        f.write("\n")

    # --- greedy generation on the original model ----------------------------
    gen_model = original
    gen_model.generation_config.eos_token_id = None
    gen_model.generation_config.pad_token_id = 0
    gen_model.generation_config.do_sample = False
    g = torch.Generator().manual_seed(SEED + 2)
    prompts, continuations, next_logits, margins = [], [], [], []
    with torch.no_grad():
        for n in PROMPT_LENGTHS:
            # Draw prompts until greedy decoding has no near-tie at any step and
            # the continuation changes token at least a few times (a constant
            # continuation says little about the cache); the draw sequence is
            # seeded, so the choice is deterministic.
            while True:
                ids = torch.randint(0, VOCAB, (1, n), generator=g)
                cont, gaps = greedy(gen_model, ids)
                if min(gaps) > MIN_GAP and len(set(cont)) >= MIN_DISTINCT:
                    break
            prompts.append(ids[0].tolist())
            continuations.append(cont)
            margins.extend(gaps)
            last = gen_model(input_ids=ids).logits[0, -1]
            assert int(last.argmax()) == cont[0]
            next_logits.append(last.tolist())
    with open(os.path.join(out, "generate.json"), "w") as f:
        json.dump({"prompts": prompts, "continuations": continuations, "next_logits": next_logits}, f)
        f.write("\n")

    # --- summary ------------------------------------------------------------
    print(f"output: {out}")
    print(f"model.safetensors tensors ({len(saved_names)}), metadata {saved_meta}:")
    for name in saved_names:
        print(f"  {name} {list(model.state_dict()[name].shape) if name in model.state_dict() else '?'}")
    print(f"weighted loss {loss.item():.6f}  grad_norm {gnorm:.6f}  weight sum {weights.sum().item():.0f}/{B * T}")
    print(f"adamw losses {step_losses}  pre-clip grad norms {step_norms}")
    for p, c in zip(prompts, continuations):
        print(f"prompt {p} -> {c}")
    print(f"smallest top-1/top-2 logit gap over all greedy steps: {min(margins):.4f}")
    total = 0
    for dirpath, _, files in sorted(os.walk(out)):
        for fn in sorted(files):
            path = os.path.join(dirpath, fn)
            size = os.path.getsize(path)
            total += size
            print(f"  {os.path.relpath(path, out):32s} {size:8d}  {sha256(path)[:16]}")
    print(f"total {total} bytes")
    assert total < 1 << 20, "fixtures must stay under 1 MB"


if __name__ == "__main__":
    main()
