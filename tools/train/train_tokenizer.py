#!/usr/bin/env python3
"""Trains the byte-level BPE tokenizer of Ember's small shipped model.

A GPT-2 style byte-level BPE (``tokenizers`` library) on the corpus written by
``tools/corpus/generate.py``:

* pre-tokenizer ``ByteLevel(add_prefix_space=False, use_regex=True)``: the GPT-2 split regex,
  which Ember's tokenizer.json reader (``HfTokenizerJson``) recognises as ``gpt-2``;
* no normaliser, no byte fallback (every byte is in the initial alphabet);
* special tokens ``<|bos|>`` = 0, ``<|eos|>`` = 1, ``<|pad|>`` = 2;
* a post-processor that prepends ``<|bos|>`` (``add_bos_token: true``), no eos.

Writes ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json`` into
``--out`` (loadable with ``transformers.AutoTokenizer.from_pretrained``).

Usage::

    python3 tools/train/train_tokenizer.py --corpus /tmp/ember-corpus --out /tmp/ember-tokenizer --vocab-size 4096
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

BOS, EOS, PAD = "<|bos|>", "<|eos|>", "<|pad|>"
SPECIALS = [BOS, EOS, PAD]


def iter_docs(path: str, max_bytes: int):
    """Yields the documents (blank-line separated) of ``path``, up to ``max_bytes`` of text."""
    seen = 0
    with open(path, encoding="utf-8") as f:
        buf = []
        for line in f:
            if line == "\n":
                if buf:
                    doc = "".join(buf).rstrip("\n")
                    seen += len(doc)
                    yield doc
                    buf = []
                    if seen >= max_bytes:
                        return
            else:
                buf.append(line)
        if buf:
            yield "".join(buf).rstrip("\n")


def build(corpus_file: str, vocab_size: int, max_bytes: int) -> Tokenizer:
    """Trains the tokenizer on (a prefix of) ``corpus_file``."""
    tok = Tokenizer(models.BPE(byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(iter_docs(corpus_file, max_bytes), trainer)
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                                      special_tokens=[(BOS, bos_id)])
    return tok


def save(tok: Tokenizer, out: str, model_max_length: int) -> None:
    """Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json."""
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "unk_token": None,
        "add_bos_token": True, "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
        "added_tokens_decoder": {str(tok.token_to_id(t)): {"content": t, "special": True, "lstrip": False,
                                                           "rstrip": False, "normalized": False, "single_word": False}
                                 for t in SPECIALS},
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": BOS, "eos_token": EOS, "pad_token": PAD}, f, indent=2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Train the byte-level BPE tokenizer on the generated corpus.")
    ap.add_argument("--corpus", default="/tmp/ember-corpus", help="corpus directory holding train.txt")
    ap.add_argument("--out", default="/tmp/ember-tokenizer", help="output directory")
    ap.add_argument("--vocab-size", type=int, default=4096, help="vocabulary size incl. special tokens (<= 4096)")
    ap.add_argument("--max-mb", type=float, default=64.0, help="train on at most this many MB of train.txt")
    ap.add_argument("--model-max-length", type=int, default=512)
    args = ap.parse_args(argv)
    if args.vocab_size > 4096:
        ap.error("--vocab-size must be at most 4096")

    tok = build(os.path.join(args.corpus, "train.txt"), args.vocab_size, int(args.max_mb * 1e6))
    save(tok, args.out, args.model_max_length)

    # Sanity: specials at 0..2, the pre-tokenizer is the GPT-2 ByteLevel split, and round trips are exact.
    assert [tok.token_to_id(t) for t in SPECIALS] == [0, 1, 2], "special token ids must be 0, 1, 2"
    pre = json.loads(tok.to_str())["pre_tokenizer"]
    assert pre["type"] == "ByteLevel" and pre["use_regex"] and not pre["add_prefix_space"], pre
    sample = 'Once upon a time, a little fox named Pip said, "Hello!"\nQ: Where is Varneth?\nA: East.'
    enc = tok.encode(sample)
    assert enc.ids[0] == 0 and tok.decode(enc.ids, skip_special_tokens=True) == sample
    test_path = os.path.join(args.corpus, "test.txt")
    summary = {"vocab_size": tok.get_vocab_size(), "out": args.out, "sample_tokens": len(enc.ids) - 1}
    if os.path.exists(test_path):
        text = open(test_path, encoding="utf-8").read()
        n = len(tok.encode(text, add_special_tokens=False).ids)
        summary.update(test_chars=len(text), test_tokens=n, chars_per_token=round(len(text) / n, 2))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
