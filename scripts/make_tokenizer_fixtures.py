#!/usr/bin/env python3
"""Reference fixtures for sani's byte-level BPE tokenizer, computed with Hugging Face `tokenizers`.

Writes into Tests/SaniEngineTests/Fixtures/tokenizer/:

  gpt2_cases.json          expected ids, offsets (Unicode scalar = Python code point offsets,
                           half-open) and decoded text for tricky strings, for
                           - "gpt2": GPT-2's real vocabulary (vocab.json + merges.txt from
                             .cache/assets/gpt2/, fetched by scripts/fetch-assets.sh), plus
                             "decode_cases": id lists whose bytes are not valid UTF-8;
                           - "tiny": tiny/tokenizer.json, a byte-level BPE trained here (~320 tokens)
                             with a special <|endoftext|>, a special <mask> that absorbs whitespace
                             on its left (lstrip), and a normal added token [REDACTED];
                           - "tiny_digits": tiny_digits/tokenizer.json, the same model behind a
                             Sequence[Digits(individual_digits), ByteLevel(add_prefix_space)]
                             pre-tokenizer;
                           - "tiny_files": tiny_files/, the same model as vocab.json + merges.txt
                             + added_tokens.json + special_tokens_map.json, as transformers loads
                             that folder (same ids as "tiny", except that <mask> has no lstrip).
  tiny/, tiny_digits/, tiny_files/   the tokenizer files above.

The GPT-2 tokenizer is built as transformers' GPT-2 converter builds it (ByteLevel pre-tokenizer
without prefix space, ByteLevel decoder, <|endoftext|> special) and checked against
transformers.GPT2TokenizerFast loading the same two files.

Usage: scripts/fetch-assets.sh && python3 scripts/make_tokenizer_fixtures.py
"""

import json
import os
import shutil
import sys
import tempfile

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPT2_DIR = os.path.join(ROOT, ".cache", "assets", "gpt2")
OUT_DIR = os.path.join(ROOT, "Tests", "SaniEngineTests", "Fixtures", "tokenizer")

CLINICAL_NOTE = (
    "Patient: John O'Malley (MRN 00482913), DOB 03/14/1961, admitted 2021-03-14 09:45.\n"
    "HPI: 67 y/o M w/ T2DM, HTN & CKD-3b; HbA1c 8.2% (prev. 7.9%). Denies CP/SOB.\n"
    "Meds: metformin 500mg PO BID, lisinopril 10 mg qd.\r\n"
    "Plan: f/u w/ Dr. Zoë Ñúñez-García at St. Mary's — call (555) 123-4567 or "
    "zoe.nunez@stmarys-hospital.example.org.\n\n\tSigned: R. Smith, MD   \n"
)

GPT2_CASES = [
    ("empty", ""),
    ("single space", " "),
    ("plain sentence", "Hello world, this is a test."),
    ("leading spaces", "   leading spaces"),
    ("trailing spaces", "trailing spaces   "),
    ("inner space runs", "a  b   c    d"),
    ("only spaces", "     "),
    ("tabs", "col1\tcol2\t\tcol3\t"),
    ("newlines", "line one\nline two\n\nline four\n"),
    ("crlf", "first\r\nsecond\r\n\r\nthird"),
    ("mixed whitespace", " \t \n  \r\n x \u00a0y\u3000z\u2028w\u0085v\x0b\x0cu"),
    ("contractions", "I'm sure you're right; we've seen they'll say she'd go, it's John's and don't."),
    ("capital contractions", "IT'S JOHN'S, I'M, YOU'RE, WE'VE, THEY'LL, SHE'D"),
    ("odd apostrophes", "''s 'sa rock 'n' roll O'Neil’s l'été"),
    ("accents nfc", "café naïve über Zoë résumé"),
    ("accents nfd", "cafe\u0301 nai\u0308ve u\u0308ber Zoe\u0308 re\u0301sume\u0301"),
    ("cjk", "日本語のテキストと中文文本，还有한국어 텍스트。"),
    ("other scripts", "Здравствуйте, мир! مرحبا بالعالم हिन्दी ภาษาไทย Ελληνικά"),
    ("emoji", "I love 🍕 and 😀😀!"),
    ("emoji zwj", "family 👨‍👩‍👧‍👦 and 👩🏽‍⚕️ doctor"),
    ("flags", "flags 🇫🇷🇩🇪 🇺🇸!"),
    ("digits", "0 1 22 333 4444 55555 666666"),
    ("long number", "12345678901234567890123456789 and 3.14159265358979"),
    ("unicode numbers", "Ⅻ chapters, x² + y³, ½ cup, ٣ and ३ and ①"),
    ("punctuation runs", "Wait!!! Really??? ... --- ==> (!) [*] {#} <> \\ /"),
    ("url", "See https://www.example.org/path/to/page?q=1&x=%20y#frag now"),
    ("email", "Contact zoe.nunez+notes@hospital-example.org today."),
    ("dates", "03/14/2021, 2021-03-14, 14.03.2021 and March 14th, 2021"),
    ("phone and ids", "Call (555) 123-4567 / +1-555-987-6543; SSN 123-45-6789; MRN: A00482913."),
    ("clinical note", CLINICAL_NOTE),
    ("endoftext inside", "end of one<|endoftext|>start of two"),
    ("endoftext spaced", "a <|endoftext|> b<|endoftext|><|endoftext|>c"),
    ("endoftext partial", "<|endoftext| and <|endoftext|>> and <<|endoftext|>"),
    ("endoftext only", "<|endoftext|>"),
    ("zero width", "zero\u200bwidth\u200djoin\ufeffbom soft\u00adhyphen"),
    ("combining marks", "a\u0300\u0301\u0302 \u0301start x\u20dd"),
    ("control characters", "nul\x00bell\x07esc\x1b[0mdel\x7f"),
    ("long word", "a" * 300),
    ("long punctuation", "-" * 200 + "=" * 70),
    ("repeated words", "the the the the the the the the the the"),
    ("code", "def f(x):\n    return x**2  # square\n\nif __name__ == '__main__':\n\tprint(f(3))"),
    ("json", '{"text": "Zoë", "spans": [{"start": 0, "end": 3, "label": "NAME"}]}'),
    ("supplementary letters", "𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠀁 𝟘𝟙𝟚"),
    ("private use and specials", "\ue000\uf8ff \ufffd \ufffc end"),
]

TINY_TRAINING_TEXT = [
    "The patient was admitted to the hospital with chest pain and shortness of breath.",
    "Vital signs were stable. The patient denied fever, chills, nausea or vomiting.",
    "Medications include metformin 500 mg twice daily and lisinopril 10 mg daily.",
    "The patient's daughter reported that her mother had been more tired than usual.",
    "Follow-up with the primary care physician in two weeks; repeat labs in 3 months.",
    "Physical examination revealed clear lungs, a regular heart rhythm and no edema.",
    "Discharge diagnosis: community-acquired pneumonia, resolved; diabetes mellitus type 2.",
    "Patient Jane Doe, 54, was seen on 03/14/2021 by Dr. Smith at General Hospital.",
]

TINY_CASES = [
    ("empty", ""),
    ("sentence", "The patient was seen by Dr. Smith."),
    ("unseen words", "Zebra quantum xylophone!"),
    ("numbers", "metformin 500 mg, 12345 and 3.14"),
    ("whitespace", "  two  spaces\n\nnewlines\ttab  "),
    ("newline first", "\nfoo"),
    ("space first", " foo"),
    ("redacted", "Patient [REDACTED] was seen on [REDACTED]."),
    ("redacted glued", "x[REDACTED]y"),
    ("mask lstrip", "The patient had <mask> and   <mask>.<mask>"),
    ("endoftext", "one<|endoftext|>two <|endoftext|> three"),
    ("unicode", "Zoë Ñúñez 😀 日本"),
]


def gpt2_tokenizer():
    bpe = models.BPE.from_file(os.path.join(GPT2_DIR, "vocab.json"), os.path.join(GPT2_DIR, "merges.txt"))
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True)])
    return tok


def encode_case(tok, name, text):
    enc = tok.encode(text, add_special_tokens=False)
    return {
        "name": name,
        "text": text,
        "ids": enc.ids,
        "offsets": [list(o) for o in enc.offsets],
        "decoded": tok.decode(enc.ids, skip_special_tokens=False),
    }


def check_against_transformers(tok, cases):
    """GPT2TokenizerFast loading the same files must give the same ids and offsets."""
    import transformers

    with tempfile.TemporaryDirectory() as folder:
        for name in ("vocab.json", "merges.txt"):
            shutil.copy(os.path.join(GPT2_DIR, name), folder)
        reference = transformers.GPT2TokenizerFast.from_pretrained(folder)
        for case in cases:
            got = reference(case["text"], return_offsets_mapping=True, add_special_tokens=False)
            assert got["input_ids"] == case["ids"], case["name"]
            assert [list(o) for o in got["offset_mapping"]] == case["offsets"], case["name"]


def byte_token_ids(tok, data):
    """Ids of the single-byte tokens spelling `data`."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    spelling = dict(zip(bs, (chr(c) for c in cs)))
    return [tok.token_to_id(spelling[b]) for b in data]


def decode_cases(tok, cases):
    out = []
    # Prefixes of multi-byte texts that stop inside a scalar.
    for case in cases:
        if case["name"] not in ("emoji", "emoji zwj", "flags", "cjk", "accents nfd"):
            continue
        ids = case["ids"]
        for k in range(1, len(ids)):
            text = tok.decode(ids[:k])
            if "\ufffd" in text:
                out.append({"ids": ids[:k], "text": text})
    # Invalid UTF-8 spelled byte by byte.
    for data in (b"\xff", b"\xc0\x80", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"a\xf0\x9f\x98a",
                 b"\xf4\x90\x80\x80", b"\xe0\x80\xaf", b"\x80\x80", b"\xf0\x9f\x98\xf0\x9f\x98\x80", b"\xc3"):
        ids = byte_token_ids(tok, data)
        out.append({"ids": ids, "text": tok.decode(ids)})
    eot = tok.token_to_id("<|endoftext|>")
    ids = tok.encode("a").ids + [eot] + tok.encode(" b").ids
    out.append({"ids": ids, "text": tok.decode(ids, skip_special_tokens=False)})
    return out


def tiny_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(TINY_TRAINING_TEXT, trainer)
    tok.add_tokens([AddedToken("[REDACTED]", normalized=True)])
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    return tok


def write_tiny_files(tok, folder):
    """The tiny tokenizer as vocab.json + merges.txt + added_tokens.json + special_tokens_map.json."""
    os.makedirs(folder, exist_ok=True)
    tok.model.save(folder)
    added = {"[REDACTED]": tok.token_to_id("[REDACTED]"), "<mask>": tok.token_to_id("<mask>")}
    with open(os.path.join(folder, "added_tokens.json"), "w", encoding="utf-8") as f:
        json.dump(added, f, indent=2)
        f.write("\n")
    special = {
        "eos_token": "<|endoftext|>",
        "mask_token": "<mask>",
    }
    with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special, f, indent=2)
        f.write("\n")


def transformers_cases(folder, tok, reference_cases):
    """What transformers makes of a vocab.json + merges.txt folder with added_tokens.json and
    special_tokens_map.json; only <mask> loses its lstrip (a plain string in special_tokens_map)."""
    import transformers

    loaded = transformers.GPT2TokenizerFast.from_pretrained(folder)
    cases = []
    for reference in reference_cases:
        got = loaded(reference["text"], return_offsets_mapping=True, add_special_tokens=False)
        case = dict(reference)
        case["ids"] = got["input_ids"]
        case["offsets"] = [list(o) for o in got["offset_mapping"]]
        case["decoded"] = tok.decode(case["ids"], skip_special_tokens=False)
        if reference["name"] != "mask lstrip":
            assert case["ids"] == reference["ids"] and case["offsets"] == reference["offsets"], reference["name"]
        cases.append(case)
    return cases


def main():
    if not os.path.exists(os.path.join(GPT2_DIR, "vocab.json")):
        sys.exit("GPT-2 vocabulary missing: run scripts/fetch-assets.sh first")
    os.makedirs(OUT_DIR, exist_ok=True)

    gpt2 = gpt2_tokenizer()
    cases = [encode_case(gpt2, name, text) for name, text in GPT2_CASES]
    for case in cases:
        assert case["decoded"] == case["text"], case["name"]
    check_against_transformers(gpt2, cases)

    tiny = tiny_tokenizer()
    for sub in ("tiny", "tiny_digits", "tiny_files"):
        shutil.rmtree(os.path.join(OUT_DIR, sub), ignore_errors=True)
        os.makedirs(os.path.join(OUT_DIR, sub))
    tiny.save(os.path.join(OUT_DIR, "tiny", "tokenizer.json"), pretty=True)
    tiny_cases = [encode_case(tiny, name, text) for name, text in TINY_CASES]

    digits = Tokenizer.from_file(os.path.join(OUT_DIR, "tiny", "tokenizer.json"))
    digits.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=True)]
    )
    digits.save(os.path.join(OUT_DIR, "tiny_digits", "tokenizer.json"), pretty=True)
    digits_cases = [encode_case(digits, name, text) for name, text in TINY_CASES]

    write_tiny_files(tiny, os.path.join(OUT_DIR, "tiny_files"))
    files_cases = transformers_cases(os.path.join(OUT_DIR, "tiny_files"), tiny, tiny_cases)

    fixture = {
        "generator": "scripts/make_tokenizer_fixtures.py",
        "tokenizers_version": tokenizers.__version__,
        "gpt2": {
            "vocabulary_size": gpt2.get_vocab_size(with_added_tokens=True),
            "end_of_text_id": gpt2.token_to_id("<|endoftext|>"),
            "cases": cases,
            "decode_cases": decode_cases(gpt2, cases),
        },
        "tiny": {
            "vocabulary_size": tiny.get_vocab_size(with_added_tokens=True),
            "end_of_text_id": tiny.token_to_id("<|endoftext|>"),
            "cases": tiny_cases,
        },
        "tiny_files": {
            "vocabulary_size": tiny.get_vocab_size(with_added_tokens=True),
            "end_of_text_id": tiny.token_to_id("<|endoftext|>"),
            "cases": files_cases,
        },
        "tiny_digits": {
            "vocabulary_size": digits.get_vocab_size(with_added_tokens=True),
            "end_of_text_id": digits.token_to_id("<|endoftext|>"),
            "cases": digits_cases,
        },
    }
    path = os.path.join(OUT_DIR, "gpt2_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {len(cases)} GPT-2 cases, {len(tiny_cases)} tiny cases")


if __name__ == "__main__":
    main()
