#!/usr/bin/env python3
"""Reference fixtures for sani's Llama engine (forward, backward, AdamW, greedy decode).

Builds a tiny, randomly initialised Llama language model (RMSNorm, RoPE,
grouped-query attention, SwiGLU MLP, untied lm_head) in PyTorch and writes into
Tests/SaniEngineTests/Fixtures/llama-tiny/:

  model/                    config.json + model.safetensors (the tiny model, untied)
  model-tied/               the same weights with lm_head tied to embed_tokens
  batch.json                tokens, targets and 0/1 loss weights, B=2, T=16
  forward.safetensors       logits [2,16,97], per-position cross-entropy ce [2,16],
                            weighted loss [1]
  forward-tied.safetensors  the same for model-tied/
  grads.safetensors         gradient of the weighted loss for every parameter
                            (state_dict names) + grad_norm [1]
  adamw.json                AdamW/clipping hyperparameters, per-step losses and
                            pre-clip gradient norms
  after_adamw.safetensors   every parameter after the AdamW steps
  generate.json             greedy continuations of 3 prompts + next-token logits
                            of each prompt's last position

Everything is float32 on CPU with one thread and a fixed seed, so two runs give
byte-identical files. The script also checks an independent re-implementation of
the forward pass (the RoPE / GQA conventions documented in the README) and of the
clipped AdamW steps against transformers/torch before writing anything.

Usage: python3 scripts/make_llama_fixtures.py [--out DIR]
"""

import argparse
import copy
import hashlib
import json
import math
import os
import shutil

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

SEED = 0
B, T = 2, 16
VOCAB = 97
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
DEFAULT_OUT = os.path.join(ROOT, "Tests", "SaniEngineTests", "Fixtures", "llama-tiny")


def setup_determinism():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)


def make_config(tied):
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,  # grouped-query attention: 2 query heads per kv head
        max_position_embeddings=64,
        rms_norm_eps=1e-5,
        # transformers 5 keeps RoPE settings in `rope_parameters` (a legacy
        # `rope_theta=` keyword is still folded into it).
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        hidden_act="silu",
        attention_bias=False,
        mlp_bias=False,
        attention_dropout=0.0,
        tie_word_embeddings=tied,
        # Wider init than Llama's 0.02, so greedy decoding does not just repeat
        # one token (which would hide KV-cache bugs).
        initializer_range=0.2,
        # The vocabulary has no special tokens (LlamaConfig defaults bos=1, eos=2);
        # nothing may stop generation early.
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    config._attn_implementation = "eager"
    return config


def build_model():
    model = LlamaForCausalLM(make_config(tied=False)).float()
    model.eval()
    # Non-trivial RMSNorm weights (init is all ones), so that a missing or
    # misplaced norm weight shows up in every comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
    assert model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr(), "lm_head must be untied"
    assert model.config._attn_implementation == "eager"
    return model


def build_tied_model(untied):
    """Same weights as `untied` except that lm_head is embed_tokens."""
    tied = LlamaForCausalLM(make_config(tied=True)).float()
    tied.eval()
    state = {k: v for k, v in untied.state_dict().items() if k != "lm_head.weight"}
    missing, unexpected = tied.load_state_dict(state, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    assert tied.lm_head.weight.data_ptr() == tied.model.embed_tokens.weight.data_ptr(), "lm_head must be tied"
    assert torch.equal(tied.lm_head.weight, untied.model.embed_tokens.weight)
    assert tied.config._attn_implementation == "eager"
    return tied


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


# --- independent re-implementation, following the README ---------------------


def manual_forward(sd, cfg, tokens):
    """Llama forward from a state dict, written from the README's description
    (not from transformers' code path): used to check that description."""
    H, KV = cfg.num_attention_heads, cfg.num_key_value_heads
    D = cfg.hidden_size // H
    eps = cfg.rms_norm_eps
    theta = cfg.rope_parameters["rope_theta"]
    Bn, Tn = tokens.shape

    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def linear(x, w):  # w is [out, in]
        return x @ w.t()

    inv_freq = torch.tensor([theta ** (-2.0 * i / D) for i in range(D // 2)], dtype=torch.float32)
    pos = torch.arange(Tn, dtype=torch.float32)
    ang = pos[:, None] * inv_freq[None, :]  # [T, D/2]
    cos, sin = ang.cos(), ang.sin()

    def rope(x):  # x [B, heads, T, D]; pairs (j, j + D/2)
        x1, x2 = x[..., : D // 2], x[..., D // 2 :]
        return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)

    h = sd["model.embed_tokens.weight"][tokens]
    mask = torch.full((Tn, Tn), float("-inf")).triu(1)
    for L in range(cfg.num_hidden_layers):
        p = f"model.layers.{L}."
        x = rms(h, sd[p + "input_layernorm.weight"])
        q = linear(x, sd[p + "self_attn.q_proj.weight"]).view(Bn, Tn, H, D).transpose(1, 2)
        k = linear(x, sd[p + "self_attn.k_proj.weight"]).view(Bn, Tn, KV, D).transpose(1, 2)
        v = linear(x, sd[p + "self_attn.v_proj.weight"]).view(Bn, Tn, KV, D).transpose(1, 2)
        q, k = rope(q), rope(k)
        kv_of = [hq // (H // KV) for hq in range(H)]  # query head -> kv head
        k, v = k[:, kv_of], v[:, kv_of]
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(Bn, Tn, H * D)
        h = h + linear(o, sd[p + "self_attn.o_proj.weight"])
        x = rms(h, sd[p + "post_attention_layernorm.weight"])
        gate = linear(x, sd[p + "mlp.gate_proj.weight"])
        up = linear(x, sd[p + "mlp.up_proj.weight"])
        h = h + linear(F.silu(gate) * up, sd[p + "mlp.down_proj.weight"])
    h = rms(h, sd["model.norm.weight"])
    head = sd.get("lm_head.weight", sd["model.embed_tokens.weight"])
    return linear(h, head)


def manual_adamw(params, grads_per_step):
    """Clipped AdamW on copies of `params` ({name: tensor}) given the gradients of
    each step, as described in the README."""
    lr, b1, b2, eps, wd = (HYPER[k] for k in ("lr", "beta1", "beta2", "eps", "weight_decay"))
    p = {k: v.detach().double().clone() for k, v in params.items()}
    m = {k: torch.zeros_like(v) for k, v in p.items()}
    s = {k: torch.zeros_like(v) for k, v in p.items()}
    for t, grads in enumerate(grads_per_step, start=1):
        g = {k: v.double() for k, v in grads.items()}
        norm = math.sqrt(sum((v**2).sum().item() for v in g.values()))
        scale = HYPER["clip_norm"] / (norm + 1e-6) if norm > HYPER["clip_norm"] else 1.0
        for k in p:
            gk = g[k] * scale
            if p[k].dim() >= 2:
                p[k] *= 1 - lr * wd
            m[k] = b1 * m[k] + (1 - b1) * gk
            s[k] = b2 * s[k] + (1 - b2) * gk * gk
            mhat = m[k] / (1 - b1**t)
            shat = s[k] / (1 - b2**t)
            p[k] -= lr * mhat / (shat.sqrt() + eps)
    return p


# ------------------------------------------------------------------------------


def global_grad_norm(params):
    return torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params if p.grad is not None)).item()


def param_groups(model):
    decay, no_decay = [], []
    for _, p in model.named_parameters():
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
    # The cached path must agree with plain full-sequence forwards.
    full = torch.tensor([ids[0].tolist() + cont])
    argmax = model(input_ids=full).logits[0].argmax(-1).tolist()
    n = ids.shape[1]
    assert argmax[n - 1 : n - 1 + NEW_TOKENS] == cont, (argmax, cont)
    return cont, gaps


def contiguous(tensors):
    return {k: v.detach().contiguous().clone() for k, v in tensors.items()}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def save_model(model, path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    model.save_pretrained(path)
    with safe_open(os.path.join(path, "model.safetensors"), "pt") as f:
        return {name: list(f.get_slice(name).get_shape()) for name in sorted(f.keys())}, f.metadata()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)

    setup_determinism()
    model = build_model()
    tied = build_tied_model(model)
    original = copy.deepcopy(model)  # untouched copy for generation
    initial = {k: v.detach().clone() for k, v in model.named_parameters()}
    tokens, targets, weights = make_batch()

    # --- models ------------------------------------------------------------
    saved, saved_meta = save_model(model, os.path.join(out, "model"))
    saved_tied, _ = save_model(tied, os.path.join(out, "model-tied"))
    assert set(saved) == set(initial), set(saved) ^ set(initial)
    assert set(saved_tied) == set(initial) - {"lm_head.weight"}, set(saved_tied)
    # Round trip: both checkpoints load back to the same tying and weights.
    for path, want_tied in (("model", False), ("model-tied", True)):
        back = LlamaForCausalLM.from_pretrained(os.path.join(out, path), attn_implementation="eager")
        is_tied = back.lm_head.weight.data_ptr() == back.model.embed_tokens.weight.data_ptr()
        assert is_tied == want_tied, path
        ref = tied if want_tied else model
        for k, v in ref.state_dict().items():
            assert torch.equal(back.state_dict()[k], v), (path, k)

    # --- batch -------------------------------------------------------------
    with open(os.path.join(out, "batch.json"), "w") as f:
        json.dump(
            {"tokens": tokens.tolist(), "targets": targets.tolist(), "weights": weights.tolist()},
            f,
        )
        f.write("\n")

    # --- forward (tied variant) --------------------------------------------
    with torch.no_grad():
        t_logits, t_ce, t_loss = weighted_loss(tied, tokens, targets, weights)
        manual = manual_forward(tied.state_dict(), tied.config, tokens)
        tied_manual_err = (manual - t_logits).abs().max().item()
        assert tied_manual_err < 1e-4, tied_manual_err
    save_file(
        contiguous({"logits": t_logits, "ce": t_ce, "loss": t_loss.reshape(1)}),
        os.path.join(out, "forward-tied.safetensors"),
    )

    # --- forward + backward -------------------------------------------------
    model.zero_grad(set_to_none=True)
    logits, ce, loss = weighted_loss(model, tokens, targets, weights)
    loss.backward()
    with torch.no_grad():
        manual = manual_forward(model.state_dict(), model.config, tokens)
        manual_err = (manual - logits).abs().max().item()
        assert manual_err < 1e-4, manual_err
    save_file(
        contiguous({"logits": logits, "ce": ce, "loss": loss.reshape(1)}),
        os.path.join(out, "forward.safetensors"),
    )

    named = dict(model.named_parameters())
    grads = {name: p.grad for name, p in named.items()}
    gnorm = global_grad_norm(named.values())
    zero_embed_rows = int((grads["model.embed_tokens.weight"].abs().sum(1) == 0).sum())
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
    step_losses, step_norms, step_grads = [], [], []
    for _ in range(HYPER["steps"]):
        opt.zero_grad(set_to_none=True)
        _, _, step_loss = weighted_loss(model, tokens, targets, weights)
        step_loss.backward()
        step_grads.append({k: p.grad.detach().clone() for k, p in model.named_parameters()})
        norm = torch.nn.utils.clip_grad_norm_(params, HYPER["clip_norm"])
        opt.step()
        step_losses.append(step_loss.item())
        step_norms.append(norm.item())
    after = {name: p for name, p in model.named_parameters()}
    expect = manual_adamw(initial, step_grads)
    adamw_err = max((expect[k] - after[k].double()).abs().max().item() for k in after)
    assert adamw_err < 1e-6, adamw_err
    save_file(contiguous(after), os.path.join(out, "after_adamw.safetensors"))
    with open(os.path.join(out, "adamw.json"), "w") as f:
        json.dump(
            {
                "hyperparameters": HYPER,
                "decay": "parameters with dim >= 2 (all projection weights, embed_tokens, lm_head); "
                "1-D parameters (RMSNorm weights) are not decayed",
                # No biases, so unlike GPT-2 no gradient is pure roundoff.
                "roundoff_slices": {},
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
    gen_model.generation_config.bos_token_id = None
    gen_model.generation_config.pad_token_id = 0
    gen_model.generation_config.do_sample = False
    g = torch.Generator().manual_seed(SEED + 2)
    prompts, continuations, next_logits, margins = [], [], [], []
    draws = 0
    with torch.no_grad():
        for n in PROMPT_LENGTHS:
            # Draw prompts until greedy decoding has no near-tie at any step and
            # the continuation changes token at least a few times (a constant
            # continuation says little about the cache); the draw sequence is
            # seeded, so the choice is deterministic.
            while True:
                draws += 1
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
    print(f"model/model.safetensors tensors ({len(saved)}), metadata {saved_meta}:")
    for name, shape in saved.items():
        print(f"  {name} {shape}")
    print(f"model-tied/model.safetensors tensors ({len(saved_tied)}); lm_head.weight absent")
    print(f"weighted loss {loss.item():.6f}  grad_norm {gnorm:.6f}  weight sum {weights.sum().item():.0f}/{B * T}")
    print(f"tied weighted loss {t_loss.item():.6f}")
    print(f"embed_tokens rows with zero gradient: {zero_embed_rows}/{VOCAB}")
    print(f"manual forward max |diff|: untied {manual_err:.2e}  tied {tied_manual_err:.2e}")
    print(f"manual AdamW max |diff|: {adamw_err:.2e}")
    print(f"adamw losses {step_losses}  pre-clip grad norms {step_norms}")
    for p, c in zip(prompts, continuations):
        print(f"prompt {p} -> {c}")
    print(f"prompt draws {draws}; smallest top-1/top-2 logit gap over all greedy steps: {min(margins):.4f}")
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
