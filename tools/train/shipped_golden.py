#!/usr/bin/env python3
"""Golden logits for Ember's shipped model, computed by transformers on the shipped weights.

Reads examples/models/ember-v4-story.gguf (Q8_0 matrices, F32 rest), dequantizes every tensor,
loads the values into DeepseekV4ForCausalLM built from the model card's config.json, and writes
the logits of a few sequences to engine/src/test/resources/fixtures/ember-v4-story/ for the test
that Ember's logits match transformers' on the same weights (within 1e-3).
Run: /tmp/venv/bin/python tools/train/shipped_golden.py  (needs torch, transformers, tokenizers, gguf)
"""
import json, os, sys
import numpy as np
import torch
from gguf import GGUFReader
from gguf.quants import dequantize
from tokenizers import Tokenizer
from transformers import DeepseekV4Config, DeepseekV4ForCausalLM

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
import v4_gguf_names as names  # noqa: E402

CARD = os.path.join(ROOT, "examples", "models", "ember-v4-story")
GGUF = os.path.join(ROOT, "examples", "models", "ember-v4-story.gguf")
OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "fixtures", "ember-v4-story")
TEXTS = ["Once upon a time, there was a little girl named Lily.",
         "The town of Delfield lies east of the Golden Marsh. The people of Delfield grow pears.",
         "Q: What do the people of Harridge grow?\nA: They grow pumpkins."]


def main():
    reader = GGUFReader(GGUF)
    tensors = {}
    for t in reader.tensors:
        shape = [int(x) for x in reversed(t.shape)]  # GGML order -> PyTorch order
        data = t.data if t.tensor_type.name in ("I32", "F32") else dequantize(t.data, t.tensor_type)
        tensors[t.name] = np.asarray(data).reshape(shape)
    cfg = DeepseekV4Config.from_pretrained(CARD)
    model = DeepseekV4ForCausalLM(cfg).eval()
    sd = model.state_dict()
    with torch.no_grad():
        for key, value in sd.items():
            if key.endswith(names.EXPERTS_GATE_UP):
                layer = key.split(".layers.")[1].split(".")[0]
                gate = tensors[f"blk.{layer}.ffn_gate_exps.weight"]
                up = tensors[f"blk.{layer}.ffn_up_exps.weight"]
                value.copy_(torch.from_numpy(np.concatenate([gate, up], axis=1)))
            elif key.endswith(names.EXPERTS_DOWN):
                layer = key.split(".layers.")[1].split(".")[0]
                value.copy_(torch.from_numpy(tensors[f"blk.{layer}.ffn_down_exps.weight"]))
            else:
                name = names.gguf_name(key)
                if name is None:
                    raise SystemExit(f"no GGUF tensor for {key}")
                value.copy_(torch.from_numpy(tensors[name].astype(np.float32 if value.is_floating_point() else np.int64)).reshape(value.shape))
    tok = Tokenizer.from_file(os.path.join(CARD, "tokenizer.json"))
    os.makedirs(OUT, exist_ok=True)
    golden = []
    for i, text in enumerate(TEXTS):
        ids = tok.encode(text).ids  # the post-processor adds <|bos|> (id 0), as Ember does
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float().numpy()
        logits.astype("<f4").tofile(os.path.join(OUT, f"logits-{i}.bin"))
        golden.append({"text": text, "tokens": ids, "logits": f"logits-{i}.bin"})
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    print("wrote", len(golden), "sequences to", OUT)


if __name__ == "__main__":
    main()
