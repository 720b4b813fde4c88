#!/usr/bin/env python3
"""Reference fixtures for sani's BERT encoder (masked-LM forward, backward, AdamW).

Builds a tiny, randomly initialised BertForMaskedLM in PyTorch and writes into
Tests/SaniEngineTests/Fixtures/bert-tiny/:

  model/                    config.json + model.safetensors (the tiny model)
  batch.json                input_ids, token_type_ids, attention_mask, labels, B=2, T=16
  forward.safetensors       logits [2,16,89], per-position cross-entropy ce [2,16]
                            (0 where label == -100), masked-LM loss [1]
  grads.safetensors         gradient of the loss for every parameter
                            (state_dict names) + grad_norm [1]
  adamw.json                AdamW/clipping hyperparameters, per-step losses and
                            pre-clip gradient norms
  after_adamw.safetensors   every parameter after the AdamW steps

Everything is float32 on CPU with one thread and a fixed seed, so two runs give
byte-identical files.

Usage: python3 scripts/make_bert_fixtures.py [--out DIR]
"""

import argparse
import hashlib
import json
import os
import shutil

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM

SEED = 0
B, T = 2, 16
VOCAB = 89
PAD_ID, CLS_ID, SEP_ID, MASK_ID = 0, 2, 3, 4
FIRST_PLAIN_ID = 5  # random ("plain") ids are drawn from [5, VOCAB)
MASKED_PER_ROW = 4
TYPE_SPLIT = 8  # row 1: token_type 0 for t < 8, 1 for t >= 8
IGNORE = -100
HYPER = {
    "lr": 1e-3,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "weight_decay": 0.1,
    "clip_norm": 1.0,
    "steps": 2,
}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "SaniEngineTests", "Fixtures", "bert-tiny")


def setup_determinism():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)


def build_model():
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=48,
        max_position_embeddings=64,
        type_vocab_size=2,
        hidden_act="gelu",  # exact erf GELU (torch.nn.functional.gelu, approximate="none")
        layer_norm_eps=1e-12,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        initializer_range=0.2,  # wider than BERT's 0.02 so a wrong mapping shows
        pad_token_id=PAD_ID,
        tie_word_embeddings=True,
    )
    config._attn_implementation = "eager"
    model = BertForMaskedLM(config).float()
    model.eval()

    # Non-trivial layer norms, linear biases and MLM bias, so that a wrong
    # parameter mapping (or a swapped weight/bias) shows up in every comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")
            if "LayerNorm" in leaf:
                if leaf[-1] == "weight":
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
                else:
                    p.copy_(0.1 * torch.randn_like(p))
            elif leaf[-1] == "bias":  # linear biases and cls.predictions.bias
                p.copy_(0.02 * torch.randn_like(p))
        # nn.Embedding(padding_idx=0) zeroes row 0 at init; give it ordinary
        # random values like every other row (id 0 never occurs in the inputs,
        # so padding_idx has no effect on the gradients below).
        wte = model.bert.embeddings.word_embeddings.weight
        wte[PAD_ID].copy_(config.initializer_range * torch.randn_like(wte[PAD_ID]))

    assert model.bert.pooler is None, "BertForMaskedLM has no pooler"
    dec = model.cls.predictions.decoder
    assert dec.weight is model.bert.embeddings.word_embeddings.weight, "decoder must be tied to word embeddings"
    assert dec.bias is model.cls.predictions.bias, "decoder bias must be cls.predictions.bias"
    assert model.config._attn_implementation == "eager"
    act = model.bert.encoder.layer[0].intermediate.intermediate_act_fn
    assert type(act).__name__ == "GELUActivation" and act.act is F.gelu, act
    x = torch.linspace(-4, 4, 101)
    assert torch.equal(act(x), F.gelu(x, approximate="none"))
    return model


def make_batch():
    g = torch.Generator().manual_seed(SEED + 1)
    original = torch.randint(FIRST_PLAIN_ID, VOCAB, (B, T), generator=g)
    original[:, 0] = CLS_ID
    original[:, -1] = SEP_ID
    input_ids = original.clone()
    labels = torch.full((B, T), IGNORE, dtype=torch.long)
    for b in range(B):
        # MASKED_PER_ROW distinct positions among 1..T-2 (never [CLS]/[SEP]).
        pos = (torch.randperm(T - 2, generator=g)[:MASKED_PER_ROW] + 1).sort().values
        labels[b, pos] = original[b, pos]
        input_ids[b, pos] = MASK_ID
    token_type_ids = torch.zeros((B, T), dtype=torch.long)
    token_type_ids[1, TYPE_SPLIT:] = 1
    attention_mask = torch.ones((B, T), dtype=torch.long)
    return input_ids, token_type_ids, attention_mask, labels


def mlm_loss(model, batch):
    input_ids, token_type_ids, attention_mask, labels = batch
    out = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    logits = out.logits  # [B, T, V]
    flat_logits = logits.reshape(-1, logits.shape[-1])
    flat_labels = labels.reshape(-1)
    loss = F.cross_entropy(flat_logits, flat_labels, ignore_index=IGNORE)
    ce = F.cross_entropy(flat_logits, flat_labels, ignore_index=IGNORE, reduction="none").reshape(labels.shape)
    return logits, ce, loss


def global_grad_norm(params):
    return torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params if p.grad is not None)).item()


def param_groups(model):
    decay, no_decay = [], []
    for _, p in model.named_parameters():  # lists the tied word embeddings / decoder once
        (decay if p.dim() >= 2 else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": HYPER["weight_decay"]},
        {"params": no_decay, "weight_decay": 0.0},
    ]


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
    batch = make_batch()
    input_ids, token_type_ids, attention_mask, labels = batch

    # --- model -------------------------------------------------------------
    model_dir = os.path.join(out, "model")
    if os.path.isdir(model_dir):
        shutil.rmtree(model_dir)
    model.save_pretrained(model_dir)
    with safe_open(os.path.join(model_dir, "model.safetensors"), "pt") as f:
        saved = {k: list(f.get_slice(k).get_shape()) for k in f.keys()}
        saved_meta = f.metadata()
    named = dict(model.named_parameters())
    assert set(saved) == set(named), (sorted(set(saved) ^ set(named)))

    # --- batch -------------------------------------------------------------
    with open(os.path.join(out, "batch.json"), "w") as f:
        json.dump(
            {
                "input_ids": input_ids.tolist(),
                "token_type_ids": token_type_ids.tolist(),
                "attention_mask": attention_mask.tolist(),
                "labels": labels.tolist(),
            },
            f,
        )
        f.write("\n")

    # --- forward + backward -------------------------------------------------
    model.zero_grad(set_to_none=True)
    logits, ce, loss = mlm_loss(model, batch)
    with torch.no_grad():
        hf_loss = model(
            input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask, labels=labels
        ).loss
    assert torch.allclose(hf_loss, loss, atol=1e-6), (hf_loss, loss)
    n_labelled = int((labels != IGNORE).sum())
    assert torch.allclose(ce.sum() / n_labelled, loss, atol=1e-6)
    loss.backward()
    save_file(
        contiguous({"logits": logits, "ce": ce, "loss": loss.reshape(1)}),
        os.path.join(out, "forward.safetensors"),
    )

    grads = {name: p.grad for name, p in named.items()}
    gnorm = global_grad_norm(named.values())
    grads["grad_norm"] = torch.tensor([gnorm], dtype=torch.float32)
    save_file(contiguous(grads), os.path.join(out, "grads.safetensors"))
    key_bias_grad = max(
        grads[f"bert.encoder.layer.{i}.attention.self.key.bias"].abs().max().item()
        for i in range(model.config.num_hidden_layers)
    )
    pos_tail_grad = grads["bert.embeddings.position_embeddings.weight"][T:].abs().max().item()

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
        _, _, step_loss = mlm_loss(model, batch)
        step_loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, HYPER["clip_norm"])
        opt.step()
        step_losses.append(step_loss.item())
        step_norms.append(norm.item())
    after = {name: p for name, p in model.named_parameters()}
    save_file(contiguous(after), os.path.join(out, "after_adamw.safetensors"))
    with open(os.path.join(out, "adamw.json"), "w") as f:
        json.dump(
            {
                "hyperparameters": HYPER,
                "decay": "parameters with dim >= 2 (linear weights, word/position/token_type embeddings; "
                "the tied decoder weight is the word embeddings, decayed once); 1-D parameters are not decayed",
                # Each key bias shifts every score of a query by the same amount,
                # so its true gradient is zero and the stored one is roundoff.
                # Adam turns that into updates of up to lr per step whose sign is
                # noise: compare these only loosely (|delta| <= lr * steps).
                "roundoff_slices": {
                    f"bert.encoder.layer.{i}.attention.self.key.bias": [0, model.config.hidden_size]
                    for i in range(model.config.num_hidden_layers)
                },
                "losses": step_losses,
                "grad_norms": step_norms,
            },
            f,
            indent=1,
        )
        f.write("\n")

    # --- summary ------------------------------------------------------------
    print(f"output: {out}")
    print(f"model.safetensors tensors ({len(saved)}), metadata {saved_meta}:")
    for name in sorted(saved):
        print(f"  {name} {saved[name]}")
    print(f"input_ids {input_ids.tolist()}")
    print(f"labels    {labels.tolist()}")
    print(f"loss {loss.item():.6f}  grad_norm {gnorm:.6f}  labelled {n_labelled}/{B * T}")
    print(f"logits[0,0,:4] {logits[0, 0, :4].tolist()}")
    print(f"max |key.bias grad| {key_bias_grad:.3e}  max |position grad rows {T}..| {pos_tail_grad:.3e}")
    print(f"adamw losses {step_losses}  pre-clip grad norms {step_norms}")
    total = 0
    for dirpath, _, files in sorted(os.walk(out)):
        for fn in sorted(files):
            path = os.path.join(dirpath, fn)
            size = os.path.getsize(path)
            total += size
            print(f"  {os.path.relpath(path, out):32s} {size:8d}  {sha256(path)[:16]}")
    print(f"total {total} bytes")
    assert total < 600 * 1024, "fixtures must stay under 600 KB"


if __name__ == "__main__":
    main()
