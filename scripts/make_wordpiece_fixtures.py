#!/usr/bin/env python3
"""Builds the WordPiece (BERT) tokenizer fixtures of Tests/SaniEngineTests/Fixtures/wordpiece.

Trains two tiny WordPiece vocabularies (uncased and cased) with Hugging Face `tokenizers` on a few
made-up clinical notes, saves `vocab.txt`, `tokenizer.json` and `tokenizer_config.json` for each,
and records the ids, scalar offsets and decoded text Hugging Face gives for tricky strings in
`cases.json`. Every case is checked to agree between `tokenizers` (tokenizer.json) and
`transformers.BertTokenizerFast` (vocab.txt).

Usage: python3 scripts/make_wordpiece_fixtures.py
"""
import json
import os
import tempfile

from tokenizers import BertWordPieceTokenizer, Tokenizer
from transformers import BertTokenizerFast

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "SaniEngineTests", "Fixtures", "wordpiece")

CORPUS = [
    "Patient: José Núñez, 67 y/o male, admitted 2024-03-14 with chest pain radiating to the left arm.",
    "History of type-2 diabetes mellitus, hypertension and hyperlipidemia. Medications: metformin 500 mg "
    "twice daily, lisinopril 10 mg, atorvastatin 40 mg at night.",
    "Dr. Müller reviewed the ECG: ST-segment elevation in leads II, III and aVF. Troponin I was 2.4 ng/mL.",
    "Plan: urgent cardiac catheterization; aspirin 325 mg given. Follow-up with cardiology in 2 weeks.",
    "Nurse note: patient resting comfortably, pain 3/10, vitals stable (BP 132/84, HR 78, SpO2 97%).",
    "The patient's daughter, Renée Dubois, was informed. Contact: (555) 010-4477, renee@example.org.",
    "Discharge summary: the patient was discharged home on day 4 in good condition with no complications.",
    "Allergies: penicillin (rash). Social history: former smoker, quit in 2010; drinks alcohol socially.",
    "Assessment: inferior STEMI, treated with PCI to the right coronary artery. Señor Núñez tolerated it well.",
    "Café visit noted; über-specialist consult requested. 患者 胸痛 医生 病历 notes translated.",
]

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

CASES = [
    ("plain", "The patient was admitted with chest pain."),
    ("accents", "José Núñez met Dr. Müller at the Café."),
    ("capital_accent", "ÉCOLE Élodie ÑANDÚ Über"),
    ("nfd_input", "Jose\u0301 Nu\u0301n\u0303ez cafe\u0301"),
    ("cjk", "患者胸痛，医生说：病历 ok"),
    ("cjk_mixed", "patient患者notes"),
    ("emoji", "pain 😀 score 🙂!"),
    ("punctuation_run", "wait...?!--(really)??"),
    ("mask_inside", "The [MASK] was given aspirin."),
    ("mask_glued", "x[MASK]y [SEP][CLS] [mask]"),
    ("digits", "BP 132/84, HR 78, SpO2 97% on 2024-03-14"),
    ("hyphenated", "type-2 follow-up ST-segment well-known"),
    ("tabs_newlines", "line one\tcol\nline two\r\nend  \t "),
    ("control_chars", "pa\u0000ti\u0007ent\u200b note\ufffd here\u000b\u000c\u0085x"),
    ("long_word", "a" * 120 + " ok " + "b" * 100 + " " + "c" * 101),
    ("unknown_word", "xyzqj zzz qqq"),
    ("empty", ""),
    ("spaces_only", "   \t\n "),
    ("unicode_punct", "«quoted» “curly” — dash… ¿qué? ¡sí!"),
    ("ascii_symbols", "a$b+c<d=e>f^g`h|i~j@k#l"),
    ("special_alone", "[CLS]"),
    ("apostrophes", "patient's don't it's"),
    ("email", "renee@example.org (555) 010-4477"),
    ("dotted_i", "İstanbul ǅ ß ﬁ"),
    ("hangul", "한국 환자"),
    ("combining_only", "\u0301\u0303 a\u0301"),
    ("greek", "Σίσυφος ΟΔΥΣΣΕΥΣ"),
]

CASED_CASES = [
    ("plain", "The patient was admitted with chest pain."),
    ("accents", "José Núñez met Dr. Müller at the Café."),
    ("nfd_input", "Jose\u0301 Nu\u0301n\u0303ez"),
    ("mask_inside", "The [MASK] was given aspirin."),
    ("cjk", "患者胸痛 Patient"),
    ("emoji", "pain 😀 score"),
    ("punctuation", "ST-segment, HR 78; wait..."),
]


def train(lowercase):
    tokenizer = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=None, clean_text=True,
                                       handle_chinese_chars=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write("\n".join(CORPUS * 3))
        path = handle.name
    tokenizer.train([path], vocab_size=400, min_frequency=1, special_tokens=SPECIALS, limit_alphabet=1000)
    os.unlink(path)
    return tokenizer


def record(folder, cases, do_lower_case, strip_accents=None):
    raw = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    fast = BertTokenizerFast(vocab=os.path.join(folder, "vocab.txt"), do_lower_case=do_lower_case,
                             strip_accents=strip_accents)
    results = []
    for name, text in cases:
        encoded = fast(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = encoded["input_ids"]
        offsets = [list(pair) for pair in encoded["offset_mapping"]]
        if strip_accents is None:
            check = raw.encode(text, add_special_tokens=False)
            assert check.ids == ids, (name, check.ids, ids)
            assert [list(o) for o in check.offsets] == offsets, (name, check.offsets, offsets)
        decoded = raw.decode(ids, skip_special_tokens=False)
        results.append({"name": name, "text": text, "ids": ids, "offsets": offsets, "decoded": decoded})
    return {"vocabulary_size": fast.backend_tokenizer.get_vocab_size(), "cases": results}


def build(folder, lowercase):
    os.makedirs(folder, exist_ok=True)
    tokenizer = train(lowercase)
    tokenizer.save_model(folder)
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as handle:
        json.dump({"do_lower_case": lowercase, "strip_accents": None, "tokenize_chinese_chars": True,
                   "tokenizer_class": "BertTokenizer"}, handle, indent=2)
        handle.write("\n")


def main():
    uncased = os.path.join(OUT, "uncased")
    cased = os.path.join(OUT, "cased")
    build(uncased, True)
    build(cased, False)
    suites = {
        "uncased": record(uncased, CASES, True),
        "uncased_keep_accents": record(uncased, CASES, True, strip_accents=False),
        "cased": record(cased, CASED_CASES, False),
    }
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as handle:
        json.dump(suites, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
