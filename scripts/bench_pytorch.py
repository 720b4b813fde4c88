#!/usr/bin/env python3
"""PyTorch CPU reference throughput for the model shapes sani trains and runs.

Measures, for one model family at its full size with random weights, fp32:

  train_tokens_per_s    forward + backward + gradient clipping + AdamW step at
                        batch x seq tokens (median over --steps after 1 warm-up)
  forward_tokens_per_s  forward only under torch.no_grad() at the same shape
                        (median over --steps after 1 warm-up)
  decode_ms_per_token   greedy generate() with the KV cache at batch 1: a 16-token
                        prompt, 64 new tokens, time / 64 (median over --decode-runs)
  decode_step_ms        the same without the prompt pass: (t(64 new) - t(1 new)) / 63
  peak_rss_mib          peak resident set size of the process (ru_maxrss)

Families (dropout is off everywhere so the work matches a dropout-free engine):

  gpt2   GPT-2 small (124M): 12 layers, n_embd 768, 12 heads, 1024 positions,
         vocabulary 50257, tied output projection; causal LM cross-entropy
  llama  SmolLM2-135M shape: 30 layers, hidden 576, intermediate 1536, 9 heads,
         3 key/value heads, vocabulary 49152, tied embeddings, RoPE theta 10000,
         RMSNorm eps 1e-5; causal LM cross-entropy
  bert   BERT-base: 12 layers, hidden 768, 12 heads, intermediate 3072,
         vocabulary 30522, 512 positions; masked-LM training with 15% of the
         positions selected (80% [MASK], 10% random token, 10% unchanged),
         loss on the selected positions only; no decoding figure

Usage: python3 scripts/bench_pytorch.py [--family gpt2|llama|bert] [--threads 2]
                                        [--steps 5] [--json]
"""

import argparse
import json
import platform
import resource
import statistics
import sys
import time

import torch
import transformers

PROMPT_TOKENS = 16
NEW_TOKENS = 64


# --- model families -----------------------------------------------------------


def build_gpt2(attn):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        n_layer=12,
        n_embd=768,
        n_head=12,
        n_positions=1024,
        vocab_size=50257,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=None,
    )
    return _instantiate(GPT2LMHeadModel, config, attn)


def build_llama(attn):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        max_position_embeddings=8192,
        rms_norm_eps=1e-5,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        tie_word_embeddings=True,
        attention_dropout=0.0,
        bos_token_id=None,
        eos_token_id=None,
    )
    return _instantiate(LlamaForCausalLM, config, attn)


def build_bert(attn):
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(
        vocab_size=30522,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=512,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return _instantiate(BertForMaskedLM, config, attn)


def _instantiate(cls, config, attn):
    if attn != "default":
        config._attn_implementation = attn
    model = cls(config).float()
    return model


FAMILIES = {
    # name: (builder, objective, can decode)
    "gpt2": (build_gpt2, "causal", True),
    "llama": (build_llama, "causal", True),
    "bert": (build_bert, "mlm", False),
}

BERT_MASK_ID = 103  # [MASK] in the BERT-base vocabulary
BERT_SPECIAL_MAX = 999  # ids below 1000 are [PAD]/[unused*]/[CLS]/[SEP]/[MASK]


# --- batches and losses -------------------------------------------------------


def causal_batch(vocab, batch, seq, gen):
    ids = torch.randint(0, vocab, (batch, seq), generator=gen)
    return {"input_ids": ids, "labels": ids}  # the model shifts labels by one


def mlm_batch(vocab, batch, seq, gen):
    ids = torch.randint(BERT_SPECIAL_MAX + 1, vocab, (batch, seq), generator=gen)
    selected = torch.rand(batch, seq, generator=gen) < 0.15
    labels = torch.where(selected, ids, torch.full_like(ids, -100))
    roll = torch.rand(batch, seq, generator=gen)
    inputs = ids.clone()
    inputs[selected & (roll < 0.8)] = BERT_MASK_ID
    random_ids = torch.randint(BERT_SPECIAL_MAX + 1, vocab, (batch, seq), generator=gen)
    swap = selected & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_ids[swap]
    return {"input_ids": inputs, "attention_mask": torch.ones_like(ids), "labels": labels}


def make_optimizer(model, lr=1e-4, weight_decay=0.1):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.95),
        eps=1e-8,
    )


# --- measurements -------------------------------------------------------------


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench_train(model, batch_fn, steps, clip):
    model.train()
    opt = make_optimizer(model)
    data = batch_fn()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(**data).loss
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss.item()

    step()  # warm-up (also allocates the optimizer state)
    times, losses = [], []
    for _ in range(steps):
        t, loss = timed(step)
        times.append(t)
        losses.append(loss)
    del opt
    model.zero_grad(set_to_none=True)
    return times, losses


def bench_forward(model, batch_fn, steps):
    model.eval()
    data = {k: v for k, v in batch_fn().items() if k != "labels"}
    with torch.no_grad():
        model(**data)  # warm-up
        times = [timed(lambda: model(**data))[0] for _ in range(steps)]
    return times


def bench_decode(model, vocab, runs, gen):
    model.eval()
    model.generation_config.eos_token_id = None
    prompt = torch.randint(0, vocab, (1, PROMPT_TOKENS), generator=gen)

    def run(new_tokens):
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            eos_token_id=None,
            pad_token_id=0,
            use_cache=True,
        )
        assert out.shape[1] == PROMPT_TOKENS + new_tokens
        return out

    with torch.no_grad():
        run(NEW_TOKENS)  # warm-up
        full = [timed(lambda: run(NEW_TOKENS))[0] for _ in range(runs)]
        first = [timed(lambda: run(1))[0] for _ in range(runs)]
    return full, first


def peak_rss_mib():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# --- main ---------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=sorted(FAMILIES), default="gpt2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5, help="timed training steps and forward runs")
    ap.add_argument("--decode-runs", type=int, default=3, help="timed generate() runs")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--clip", type=float, default=1.0, help="gradient clipping norm in the training step (0: off)")
    ap.add_argument(
        "--attn",
        default="default",
        choices=["default", "eager", "sdpa"],
        help="attention implementation (default: whatever transformers selects)",
    )
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: train,forward,decode")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    skip = {s for s in args.skip.split(",") if s}

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)

    builder, objective, can_decode = FAMILIES[args.family]
    model = builder(args.attn)
    vocab = model.config.vocab_size
    n_params = sum(p.numel() for p in model.parameters())
    tokens = args.batch * args.seq
    batch_fn = (
        (lambda: causal_batch(vocab, args.batch, args.seq, gen))
        if objective == "causal"
        else (lambda: mlm_batch(vocab, args.batch, args.seq, gen))
    )

    result = {
        "family": args.family,
        "params": n_params,
        "attn_implementation": model.config._attn_implementation,
        "dtype": "float32",
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "seq": args.seq,
        "objective": objective,
        "clip_norm": args.clip,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "machine": platform.machine(),
    }

    if "train" not in skip:
        times, losses = bench_train(model, batch_fn, args.steps, args.clip)
        med = statistics.median(times)
        result["train_step_s"] = med
        result["train_tokens_per_s"] = tokens / med
        result["train_losses"] = losses
    if "forward" not in skip:
        times = bench_forward(model, batch_fn, args.steps)
        result["forward_tokens_per_s"] = tokens / statistics.median(times)
    if can_decode and "decode" not in skip:
        full, first = bench_decode(model, vocab, args.decode_runs, gen)
        result["decode_ms_per_token"] = 1000 * statistics.median(full) / NEW_TOKENS
        result["decode_step_ms"] = 1000 * (statistics.median(full) - statistics.median(first)) / (NEW_TOKENS - 1)
    result["peak_rss_mib"] = peak_rss_mib()

    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.1f}" if abs(value) >= 1 else f"{value:.4f}"
        elif isinstance(value, list):
            value = " ".join(f"{v:.4f}" for v in value)
        print(f"{key} {value}")


if __name__ == "__main__":
    main()
