#!/usr/bin/env python3
"""Reference fixture for sani's GGUF path: SmolLM2-135M-Instruct (Q4_1 GGUF).

Loads the real GGUF (fetched by `bash scripts/fetch-assets.sh smollm2`) with
Hugging Face transformers, which dequantizes every tensor to float32, and writes
Tests/SaniEngineTests/Fixtures/smollm2/reference.json:

  prompt_text / prompt_ids   the chat-template rendering of one user message
                             (add_generation_prompt=True) and its token ids
  tokenizer_cases            ids of tricky strings from the GGUF-built tokenizer
                             (`ids`), plus what llama.cpp's "smollm" pre-tokenizer
                             (digits split one by one) would give (`ids_smollm_pre`)
  greedy_ids / greedy_text   24 greedy new tokens (no early stop), fp32, 2 threads
  greedy_gaps                top-1 minus top-2 logit at every greedy step
  first_logits_top5          top-5 (id, logit) at the last prompt position
  config / tokenizer_json / special_tokens / gguf_metadata

Before writing, the script checks that
  * transformers' q/k weights equal the GGUF tensors (dequantized independently
    with the `gguf` package) after the documented reverse permutation (README);
  * every other weight equals its GGUF tensor unchanged, and lm_head is tied;
  * `generate` agrees with a plain full-sequence greedy loop (no KV cache).

Requires: torch, transformers (5.24), gguf, accelerate.
Usage: python3 scripts/make_smollm2_fixture.py [--gguf FILE] [--out DIR]
"""

import argparse
import json
import os

import numpy as np
import torch
from gguf import GGUFReader
from gguf.quants import dequantize
from tokenizers import Tokenizer, pre_tokenizers
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GGUF = os.path.join(ROOT, ".cache/assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
DEFAULT_OUT = os.path.join(ROOT, "Tests/SaniEngineTests/Fixtures/smollm2")

THREADS = 2
NEW_TOKENS = 24
USER_MESSAGE = "What is the capital of France?"

TOKENIZER_CASES = [
    "Hello world",
    " Hello  world ",
    "   leading spaces and trailing   ",
    "line one\nline two\n\nline four\r\n",
    "\t\ttabs\tand\n  indented",
    "12345 678",
    "3.14159 and 1,000,000 and 2024-06-01",
    "café naïve résumé Ångström",
    "Grüße aus München, señor!",
    "emoji 🙂👍🏽 and 🇫🇷",
    "日本語のテキスト",
    "<|im_start|>user\nHi<|im_end|>\n",
    "def f(x):\n    return x**2  # square\n",
    "if (a != b && c <= 0) { print(\"ok\"); }",
    "I'm sure they'll say it's fine, isn't it? DON'T",
    "<|endoftext|><repo_name>sani",
    # the three below tokenize differently with llama.cpp's "smollm" pre-tokenizer
    # (digits split off before the GPT-2 regex), see ids_smollm_pre / README
    "in  2024",
    "total:    42\n",
    "add ½ cup, x ²",
]


def field(reader, key):
    f = reader.fields.get(key)
    return None if f is None else f.contents()


def reverse_permute_rows(w, n_head):
    """GGUF (llama.cpp) row order -> Hugging Face row order, by explicit indices.

    For head h and HF row r = s*(d/2) + i within the head (s in {0,1}, i < d/2):
        hf[h*d + s*(d/2) + i] = gguf[h*d + 2*i + s]
    """
    rows = w.shape[0]
    d = rows // n_head
    half = d // 2
    src = np.empty(rows, dtype=np.int64)
    for h in range(n_head):
        for s in range(2):
            for i in range(half):
                src[h * d + s * half + i] = h * d + 2 * i + s
    return w[src]


def gguf_tensor_f32(t):
    """Dequantize one GGUF tensor to float32 numpy, shape [rows=ne1, cols=ne0]."""
    arr = dequantize(t.data, t.tensor_type)
    shape = [int(x) for x in reversed(t.shape)]  # ne is innermost-first
    return np.asarray(arr, dtype=np.float32).reshape(shape)


GGUF_TO_HF = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "attn_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}


def manual_dequant(t):
    """Q4_1 / Q8_0 / F32 decoded from the raw bytes by hand (not via gguf.quants, which
    transformers itself uses), to pin down the block formats the Swift loader must read."""
    cols = int(t.shape[0])  # ne0, the contiguous axis = in_features
    rows = int(np.prod([int(x) for x in t.shape])) // cols
    raw = np.asarray(t.data)
    if t.tensor_type.name == "F32":
        return raw.astype(np.float32).reshape(rows, cols)
    raw = raw.view(np.uint8).reshape(rows, -1)
    if t.tensor_type.name == "Q4_1":  # 20-byte blocks of 32: f16 d, f16 m, 16 bytes of nibbles
        b = raw.reshape(rows, cols // 32, 20)
        d = b[..., 0:2].copy().view(np.float16).astype(np.float32)
        m = b[..., 2:4].copy().view(np.float16).astype(np.float32)
        qs = b[..., 4:20]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32)  # low nibbles = elems 0..15
        return (d * q + m).reshape(rows, cols)
    if t.tensor_type.name == "Q8_0":  # 34-byte blocks of 32: f16 d, 32 x int8
        b = raw.reshape(rows, cols // 32, 34)
        d = b[..., 0:2].copy().view(np.float16).astype(np.float32)
        q = b[..., 2:34].copy().view(np.int8).astype(np.float32)
        return (q * d).reshape(rows, cols)
    raise ValueError(t.tensor_type.name)


def check_weights(reader, model, n_head, n_kv_head):
    sd = model.state_dict()
    checked = 0
    for t in reader.tensors:
        name = t.name
        if name.startswith("blk."):
            _, layer, rest = name.split(".", 2)
            hf = f"model.layers.{layer}.{GGUF_TO_HF[rest]}"
        else:
            hf = GGUF_TO_HF[name]
        ref = gguf_tensor_f32(t)
        if name.startswith("blk.0.") or not name.startswith("blk."):
            assert np.array_equal(manual_dequant(t).reshape(ref.shape), ref), f"hand dequant differs: {name}"
        if ".attn_q." in name:
            ref = reverse_permute_rows(ref, n_head)
        elif ".attn_k." in name:
            ref = reverse_permute_rows(ref, n_kv_head)
        got = sd[hf].detach().cpu().numpy()
        assert got.dtype == np.float32, (hf, got.dtype)
        assert got.shape == ref.shape, (hf, got.shape, ref.shape)
        if not np.array_equal(got, ref):
            raise SystemExit(f"weight mismatch for {name} -> {hf}: max |d| {np.abs(got - ref).max()}")
        checked += 1
    # the q/k rows really are moved (the check above would be vacuous otherwise)
    q0 = gguf_tensor_f32(next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight"))
    assert not np.array_equal(q0, sd["model.layers.0.self_attn.q_proj.weight"].numpy())
    assert "lm_head.weight" not in [t.name for t in reader.tensors]
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "lm_head not tied"
    return checked


@torch.no_grad()
def greedy_manual(model, prompt_ids, n):
    ids = list(prompt_ids)
    gaps = []
    for _ in range(n):
        logits = model(torch.tensor([ids]), use_cache=False).logits[0, -1]
        top2 = torch.topk(logits, 2)
        gaps.append(float(top2.values[0] - top2.values[1]))
        ids.append(int(top2.indices[0]))
    return ids[len(prompt_ids):], gaps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=DEFAULT_GGUF)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    folder, name = os.path.split(os.path.abspath(args.gguf))

    reader = GGUFReader(args.gguf)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    cfg = model.config

    n_head, n_kv_head = cfg.num_attention_heads, cfg.num_key_value_heads
    assert n_head == field(reader, "llama.attention.head_count")
    assert n_kv_head == field(reader, "llama.attention.head_count_kv")
    n_checked = check_weights(reader, model, n_head, n_kv_head)
    print(f"weights: {n_checked} GGUF tensors match transformers' (q/k after reverse permutation)")

    # ---- prompt
    messages = [{"role": "user", "content": USER_MESSAGE}]
    prompt_text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tok.encode(prompt_text, add_special_tokens=False)
    assert tok.encode(prompt_text) == prompt_ids  # add_bos_token is false
    templ_ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    if isinstance(templ_ids, dict) or hasattr(templ_ids, "keys"):
        templ_ids = templ_ids["input_ids"]
    assert list(templ_ids) == prompt_ids, (templ_ids, prompt_ids)

    # ---- tokenizer cases; also llama.cpp's "smollm" pre-tokenization (\p{N} split first)
    backend_json = json.loads(tok.backend_tokenizer.to_str())
    smollm = Tokenizer.from_str(tok.backend_tokenizer.to_str())
    smollm.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    cases, differs = [], []
    for s in TOKENIZER_CASES:
        ids = tok.encode(s, add_special_tokens=False)
        assert tok.decode(ids) == s, (s, tok.decode(ids))
        alt = smollm.encode(s, add_special_tokens=False).ids
        case = {"text": s, "ids": ids}
        if alt != ids:
            case["ids_smollm_pre"] = alt
            differs.append(len(cases))
        cases.append(case)
    prompt_alt = smollm.encode(prompt_text, add_special_tokens=False).ids
    assert prompt_alt == prompt_ids, "prompt tokenization depends on the digit rule"

    # ---- logits and greedy decoding
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids]), use_cache=False).logits[0, -1]
    top5 = torch.topk(logits, 5)
    first_top5 = [[int(i), float(v)] for v, i in zip(top5.values, top5.indices)]

    manual_ids, gaps = greedy_manual(model, prompt_ids, NEW_TOKENS)
    with torch.no_grad():
        out = model.generate(
            torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
            max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
            eos_token_id=None, pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else 0,
            temperature=None, top_p=None, top_k=None, repetition_penalty=None,
        )
    gen_ids = out[0, len(prompt_ids):].tolist()
    assert gen_ids == manual_ids, ("generate vs manual greedy", gen_ids, manual_ids)
    assert manual_ids[0] == first_top5[0][0]
    greedy_text = tok.decode(manual_ids)

    rope_theta = getattr(cfg, "rope_theta", None)
    rope_params = getattr(cfg, "rope_parameters", None)
    if rope_theta is None and rope_params:
        rope_theta = rope_params.get("rope_theta")

    added = [
        {"id": a["id"], "content": a["content"], "special": a["special"]}
        for a in backend_json.get("added_tokens", [])
    ]
    ttype = field(reader, "tokenizer.ggml.token_type")
    gtoks = field(reader, "tokenizer.ggml.tokens")
    special_ids = {
        k: field(reader, f"tokenizer.ggml.{k}_token_id") for k in ("bos", "eos", "unknown", "padding")
    }

    ref = {
        "source": {
            "gguf_file": name,
            "gguf_size_bytes": os.path.getsize(args.gguf),
            "transformers_dtype": "float32 (dequantized from Q4_1 / Q8_0 / F32)",
            "torch_threads": THREADS,
        },
        "prompt_messages": messages,
        "prompt_text": prompt_text,
        "prompt_ids": prompt_ids,
        "tokenizer_cases": cases,
        "tokenizer_cases_smollm_pre_differs": differs,
        "first_logits_top5": first_top5,
        "greedy_new_tokens": NEW_TOKENS,
        "greedy_ids": manual_ids,
        "greedy_text": greedy_text,
        "greedy_gaps": [round(g, 6) for g in gaps],
        "greedy_min_gap": round(min(gaps), 6),
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_layers": cfg.num_hidden_layers,
        "num_attention_heads": n_head,
        "num_key_value_heads": n_kv_head,
        "head_dim": cfg.hidden_size // n_head,
        "vocab_size": cfg.vocab_size,
        "rope_theta": float(rope_theta),
        "rope_parameters": rope_params,
        "rms_norm_eps": float(cfg.rms_norm_eps),
        "tie_word_embeddings": bool(cfg.tie_word_embeddings),
        "max_position_embeddings": cfg.max_position_embeddings,
        "tokenizer_json": {
            "model_type": backend_json["model"]["type"],
            "normalizer": backend_json["normalizer"],
            "pre_tokenizer": backend_json["pre_tokenizer"],
            "decoder": backend_json["decoder"],
            "post_processor": backend_json["post_processor"],
        },
        "special_tokens": {
            "bos": {"id": special_ids["bos"], "content": gtoks[special_ids["bos"]]},
            "eos": {"id": special_ids["eos"], "content": gtoks[special_ids["eos"]]},
            "unk": {"id": special_ids["unknown"], "content": gtoks[special_ids["unknown"]]},
            "pad": {"id": special_ids["padding"], "content": gtoks[special_ids["padding"]]},
            "transformers": {
                "bos_token": tok.bos_token, "bos_token_id": tok.bos_token_id,
                "eos_token": tok.eos_token, "eos_token_id": tok.eos_token_id,
                "unk_token": tok.unk_token, "unk_token_id": tok.unk_token_id,
                "pad_token": tok.pad_token, "pad_token_id": tok.pad_token_id,
            },
            "gguf_control_tokens": [[i, gtoks[i]] for i, t in enumerate(ttype) if t == 3],
            "added_tokens": added,
        },
        "gguf_metadata": {
            k: field(reader, k)
            for k in (
                "general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.pre",
                "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_space_prefix",
                "llama.rope.dimension_count", "llama.context_length",
                "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
            )
        },
        "gguf_tensor_types": {t.name: t.tensor_type.name for t in reader.tensors if not t.name.startswith("blk.")}
        | {"blk.*": sorted({t.tensor_type.name for t in reader.tensors if t.name.startswith("blk.")})},
        "chat_template": field(reader, "tokenizer.chat_template"),
    }

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    print("prompt_text:", repr(prompt_text))
    print("prompt_ids:", prompt_ids)
    print("greedy_ids:", manual_ids)
    print("greedy_text:", repr(greedy_text))
    print("min gap:", min(gaps), "top5:", first_top5)


if __name__ == "__main__":
    main()
