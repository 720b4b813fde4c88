#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (scripts/fuzz): the repository's fixtures where they are small
enough, and small generated examples of every format (a GGUF with metadata of every type and several tensor
types, tar archives in the ustar, pax and GNU long-name forms, JSONL corpora with annotations, terms files,
job requests). Usage: make_seeds.py REPO_ROOT OUT_DIR (one sub-folder per target). Standard library only."""
import io, json, os, struct, sys, tarfile

root, out = sys.argv[1], sys.argv[2]
fixtures = os.path.join(root, "Tests", "SaniEngineTests", "Fixtures")


def fixture(*parts):
    with open(os.path.join(fixtures, *parts), "rb") as f:
        return f.read()


def put(target, name, data):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# safetensors: the small fixtures, plus one with metadata and every float dtype, and an empty one.
put("safetensors", "reference.safetensors", fixture("safetensors", "reference.safetensors"))
put("safetensors", "llama-forward.safetensors", fixture("llama-tiny", "forward.safetensors"))


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


put("safetensors", "dtypes.safetensors", safetensors([
    ("a.f32", "F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0)),
    ("b.f16", "F16", [3], struct.pack("<3e", 1, -0.5, 65504)),
    ("c.bf16", "BF16", [2], b"\x80\x3f\x00\xc0"),
    ("d.f64", "F64", [1], struct.pack("<d", 2.25)),
    ("e.i64", "I64", [1, 1], struct.pack("<q", -7)),
    ("f.scalar", "F32", [], struct.pack("<f", 9)),
    ("g.empty", "F32", [0, 3], b""),
], {"format": "pt"}))
put("safetensors", "empty.safetensors", safetensors([]))

# GGUF version 3: metadata of every value type, a GPT-2 tokenizer, llama keys, tensors of several types.
def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, value):
    fmt = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
    if kind == 8:
        return gguf_string(value)
    if kind == 9:
        item_kind, items = value
        return struct.pack("<IQ", item_kind, len(items)) + b"".join(gguf_value(item_kind, v) for v in items)
    return struct.pack(fmt[kind], value)


def gguf(metadata, tensors, alignment=32, version=3):
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, kind, value in metadata:
        head += gguf_string(key) + struct.pack("<I", kind) + gguf_value(kind, value)
    data, infos = b"", b""
    for name, dims, kind, raw in tensors:
        data += b"\0" * (-len(data) % alignment)
        infos += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", kind, len(data))
        data += raw
    body = head + infos
    return body + b"\0" * (-len(body) % alignment) + data


def pseudo(n, seed):
    x, out_ = seed, bytearray()
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out_.append((x >> 33) & 0xFF)
    return bytes(out_)


tokens = ["<|endoftext|>", "P", "a", "t", "i", "e", "n", "Ġ", "Pa", "at", "Ġt", "ie", "nt"]
gguf_metadata = [
    ("general.architecture", 8, "llama"), ("general.name", 8, "fuzz seed"), ("general.alignment", 4, 32),
    ("u8", 0, 200), ("i8", 1, -3), ("u16", 2, 60000), ("i16", 3, -300), ("i32", 5, -70000),
    ("f32", 6, 0.5), ("flag", 7, True), ("u64", 10, 1 << 40), ("i64", 11, -(1 << 40)), ("f64", 12, 1e-6),
    ("ints", 9, (5, [1, 2, 3])), ("nested", 9, (9, [(8, ["x"]), (4, [7])])),
    ("llama.context_length", 4, 64), ("llama.embedding_length", 4, 8), ("llama.block_count", 4, 1),
    ("llama.feed_forward_length", 4, 16), ("llama.attention.head_count", 4, 2),
    ("llama.attention.head_count_kv", 4, 1), ("llama.attention.layer_norm_rms_epsilon", 6, 1e-5),
    ("llama.rope.freq_base", 6, 10000.0), ("llama.vocab_size", 4, len(tokens)),
    ("tokenizer.ggml.model", 8, "gpt2"), ("tokenizer.ggml.tokens", 9, (8, tokens)),
    ("tokenizer.ggml.token_type", 9, (5, [3] + [1] * (len(tokens) - 1))),
    ("tokenizer.ggml.merges", 9, (8, ["P a", "a t", "Ġ t", "i e", "n t"])),
    ("tokenizer.ggml.bos_token_id", 4, 0), ("tokenizer.ggml.eos_token_id", 4, 0),
]
gguf_tensors = [
    ("token_embd.weight", [8, len(tokens)], 0, struct.pack("<%df" % (8 * len(tokens)), *range(8 * len(tokens)))),
    ("f16", [8], 1, struct.pack("<8e", *[i / 4 for i in range(8)])),
    ("q4_0", [32], 2, pseudo(18, 1)), ("q8_0", [32, 2], 8, pseudo(68, 2)),
    ("q4_k", [256], 12, pseudo(144, 3)), ("q6_k", [256], 14, pseudo(210, 4)), ("bf16", [4], 30, pseudo(8, 5)),
]
put("gguf", "llama.gguf", gguf(gguf_metadata, gguf_tensors))
put("gguf", "v2-small.gguf", gguf([("general.architecture", 8, "gpt2")], [("w", [2, 2], 0, pseudo(16, 6))], version=2))
put("gguf", "empty.gguf", gguf([], []))

# tokenizer.json (byte-level BPE) fixtures.
put("tokenizer-json", "tiny.json", fixture("tokenizer", "tiny", "tokenizer.json"))
put("tokenizer-json", "tiny_digits.json", fixture("tokenizer", "tiny_digits", "tokenizer.json"))

# vocab.json \0 merges.txt [\0 added_tokens.json \0 special_tokens_map.json]
files = [fixture("tokenizer", "tiny_files", n) for n in ("vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json")]
put("vocab-merges", "all-four", b"\0".join(files))
put("vocab-merges", "vocab-merges", b"\0".join(files[:2]))

# vocab.txt [\0 tokenizer_config.json]
for case in ("cased", "uncased"):
    vocab, config = fixture("wordpiece", case, "vocab.txt"), fixture("wordpiece", case, "tokenizer_config.json")
    put("wordpiece-vocab", case, vocab + b"\0" + config)
    put("wordpiece-vocab", case + "-vocab-only", vocab)

# JSONL corpora with annotations.
records = [
    {"text": "Mrs. Alice Durand, 67, was admitted on 03/14/2021.", "subject": "patient-17", "id": "note-1",
     "spans": [{"start": 5, "end": 17, "label": "PATIENT"}, {"start": 39, "end": 49, "label": "DATE", "text": "03/14/2021"}]},
    {"text": "🩺 Héloïse Martin vue le 2 mai, tél. 06 12 34 56 78", "subject": "patient-18",
     "spans": [{"start": 2, "end": 16, "label": "PATIENT", "text": "Héloïse Martin"}]},
    {"text": "Seen by Dr. Patel at St. Mary's. MRN 0012345, email a.b@example.org", "subject": "patient-17"},
]
put("corpus-jsonl", "annotated.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
put("corpus-jsonl", "plain-records.jsonl", '{"text": "Follow-up for John Smith, SSN 123-45-6789."}\r\n{"text": "No identifiers here."}\n')

# Terms files: text (with labels and comments) and both JSON forms.
put("terms", "terms.txt", "# clinicians\nJohn Smith\tDOCTOR\n  Alice   Durand \nSt. Mary's\tHOSPITAL\n\nLyon\n")
put("terms", "list.json", json.dumps(["John Smith", "Alice Durand", "İstanbul"]))
put("terms", "objects.json", json.dumps([{"term": "John Smith", "label": "DOCTOR"}, {"term": "Lyon"}]))
put("terms", "map.json", json.dumps({"John Smith": "DOCTOR", "St. Mary's": "HOSPITAL"}))

# Tar uploads: a model folder in ustar, pax and GNU forms, a long name, a directory entry.
def tar_bytes(fmt, entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    data = buffer.getvalue().rstrip(b"\0")
    return data + b"\0" * (-len(data) % 512 + 1024)  # the two zero blocks that end an archive, no record padding


model = [("model/", None), ("model/config.json", b'{"model_type": "gpt2"}'), ("model/vocab.txt", b"[PAD]\n[UNK]\n")]
put("tar", "ustar.tar", tar_bytes(tarfile.USTAR_FORMAT, model))
put("tar", "pax.tar", tar_bytes(tarfile.PAX_FORMAT, model + [("model/" + "long-" * 30 + "name.txt", b"x")]))
put("tar", "gnu.tar", tar_bytes(tarfile.GNU_FORMAT, [("d/" + "n" * 120 + ".bin", b"\1\2\3")]))

# Job requests (POST /v1/jobs bodies) and bare options.
put("job-json", "minimal.json", json.dumps({"model": "file_abc", "corpus": "file_def"}))
put("job-json", "full.json", json.dumps({
    "model": "file_abc", "corpus": "file_def", "terms": "file_t", "heldOut": "file_h", "base": "file_b",
    "calibration": "file_k",
    "webhook": {"url": "https://hooks.example.org/sani", "secret": "0123456789abcdef"},
    "options": {"method": "sani", "selection": "activation", "eraseLayers": 2, "eraseFraction": 0.25, "epochs": 1,
                "learningRate": 0.001, "batchSize": 4, "sequenceLength": 64, "seed": 7, "detectors": ["email", "date"],
                "kAnonymity": 3, "repairMode": "masked", "eraseScope": "scored", "forgetSkipLabels": ["DATE"],
                "targetExtractionRate": 0.01, "auditAttacks": False}}))
put("job-json", "options.json", json.dumps({"epochs": 3, "eraseFraction": 0.5, "warmupSteps": 2,
                                            "learningRateSchedule": "cosine", "forgetReference": "model"}))
