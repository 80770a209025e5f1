#!/usr/bin/env python3
"""Trains Ember's small DeepSeek-V4-style model (transformers ``DeepseekV4ForCausalLM``).

Every V4 mechanism is on: sliding-window attention, CSA (compress rate 4 + lightning
indexer with top-k), HCA (compress rate 16), mHC hyper-connections (4 streams), hash-routed
MoE layers (a frozen token -> expert table) and normal top-k MoE layers with a shared expert.

Data: ``train.txt`` / ``test.txt`` from ``tools/corpus/generate.py`` (documents separated by a
blank line). Each document becomes ``<|bos|> tokens <|eos|>``; a training sequence starts at a
random document start and runs on through the following documents for ``seq_len + 1`` tokens.

Training: AdamW, warm-up then cosine decay driven by progress = max(step / steps,
elapsed / budget), so ``--minutes`` ends training cleanly on time with a decayed learning rate.
bf16 autocast on CUDA (weights stay fp32), fp32 on CPU. Router bias (``e_score_correction_bias``)
is updated DeepSeek-style without an auxiliary loss: +gamma for under-loaded experts, -gamma
for over-loaded ones after every step.

Output (``--out``): ``config.json``, ``model.safetensors``, ``generation_config.json``, the
tokenizer files, ``train_log.jsonl`` (loss per logged step) and ``eval.json``: held-out
perplexity on test.txt, the perplexity of the same documents with their words shuffled,
zero-shot classification accuracy on ``labels-test.jsonl`` and a few greedy samples.

CPU smoke test (a couple of minutes)::

    python3 tools/train/train_v4.py --tiny --corpus /tmp/ember-corpus --tokenizer /tmp/ember-tokenizer \\
        --out /tmp/ember-v4-tiny

GPU run (8 minutes of training + about a minute of set-up and evaluation on one H100/H200)::

    python3 tools/train/train_v4.py --corpus /tmp/ember-corpus --tokenizer /tmp/ember-tokenizer \\
        --out /tmp/ember-v4 --device cuda --minutes 8
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

LAYER_SWA, LAYER_CSA, LAYER_HCA = "sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention"


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------

def model_config(vocab_size: int, args) -> "DeepseekV4Config":
    """The V4 configuration: every mechanism on, sizes from the command line."""
    from transformers import DeepseekV4Config

    n = args.layers
    # Sliding-window first and last, CSA and HCA alternating between (like V4-Flash's pattern).
    layer_types = [LAYER_SWA] + [LAYER_CSA if i % 2 == 1 else LAYER_HCA for i in range(1, n - 1)] + [LAYER_SWA]
    mlp_types = ["hash_moe"] * args.hash_layers + ["moe"] * (n - args.hash_layers)
    return DeepseekV4Config(
        vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=n,
        num_attention_heads=args.heads, num_key_value_heads=1, head_dim=args.head_dim,
        partial_rotary_factor=args.rope_dim / args.head_dim,
        q_lora_rank=args.q_lora, o_groups=args.o_groups, o_lora_rank=args.o_lora,
        layer_types=layer_types,
        compress_rates={LAYER_CSA: 4, LAYER_HCA: args.hca_rate},
        sliding_window=args.window, index_n_heads=args.index_heads, index_head_dim=args.index_head_dim,
        index_topk=args.index_topk,
        mlp_layer_types=mlp_types,
        n_routed_experts=args.experts, n_shared_experts=1, num_experts_per_tok=args.top_k,
        moe_intermediate_size=args.expert_width,
        scoring_func="sqrtsoftplus", norm_topk_prob=True, routed_scaling_factor=1.5, swiglu_limit=10.0,
        hc_mult=4, hc_sinkhorn_iters=20, hc_eps=1e-6, rms_norm_eps=1e-6,
        rope_theta=10000.0, compress_rope_theta=160000.0,
        rope_parameters={"rope_type": "yarn", "factor": 16.0, "original_max_position_embeddings": 65536,
                         "beta_fast": 32, "beta_slow": 1},
        num_nextn_predict_layers=0, tie_word_embeddings=False,
        max_position_embeddings=args.max_positions,
        bos_token_id=0, eos_token_id=1, pad_token_id=2,
        attention_dropout=0.0, initializer_range=0.02,
    )


def build_model(cfg, seed: int):
    """Builds the model with transformers' init, then sets what that init leaves degenerate.

    The default init zeroes ``tid2eid`` (every token would route to expert 0 twice in hash
    layers): each token id gets ``top_k`` distinct random experts instead, drawn so that all
    experts get the same number of tokens (up to one). The table is a buffer, so it stays
    frozen. Attention sinks start at 0 (a sink logit of 0 is a fine start); the compressor
    position biases start at 0 (uniform pooling) and mHC starts as an even mix.
    """
    from transformers import DeepseekV4ForCausalLM

    torch.manual_seed(seed)
    cfg._attn_implementation = "eager"  # V4 supports eager only
    model = DeepseekV4ForCausalLM(cfg)
    g = torch.Generator().manual_seed(seed + 17)
    table = random_tid2eid(cfg.vocab_size, cfg.n_routed_experts, cfg.num_experts_per_tok, g)
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("tid2eid"):
                buf.copy_(table)
    return model


def random_tid2eid(vocab: int, experts: int, k: int, g: torch.Generator) -> torch.Tensor:
    """A [vocab, k] table of ``k`` distinct random experts per token id."""
    return torch.stack([torch.randperm(experts, generator=g)[:k] for _ in range(vocab)]).long()


def count_params(model) -> dict:
    """Total parameters, routed-expert parameters and parameters active per token."""
    total = sum(p.numel() for p in model.parameters())
    experts = sum(p.numel() for n, p in model.named_parameters() if ".mlp.experts." in n)
    cfg = model.config
    active = total - experts + experts * cfg.num_experts_per_tok // cfg.n_routed_experts
    embed = model.model.embed_tokens.weight.numel()
    return {"total": total, "routed_experts": experts, "active_per_token": active, "embedding": embed,
            "total_without_embedding": total - embed}


class RouterBalancer:
    """Auxiliary-loss-free load balancing (DeepSeek-V3/V4): nudges each top-k router's bias.

    After every optimiser step, experts that received fewer than the mean number of tokens get
    ``+gamma`` on their ``e_score_correction_bias`` and over-loaded experts ``-gamma``. The bias
    only changes which experts are selected, never the mixing weights.
    """

    def __init__(self, model, gamma: float):
        from transformers.models.deepseek_v4.modeling_deepseek_v4 import DeepseekV4TopKRouter

        self.gamma = gamma
        self.routers = [m for m in model.modules() if isinstance(m, DeepseekV4TopKRouter)]
        self.counts = [None] * len(self.routers)
        self.enabled = True
        for i, r in enumerate(self.routers):
            r.register_forward_hook(self._hook(i))

    def _hook(self, i):
        def hook(module, inputs, output):
            if self.enabled and module.training:
                idx = output[2].detach().reshape(-1)
                c = torch.bincount(idx, minlength=module.num_experts).float()
                self.counts[i] = c if self.counts[i] is None else self.counts[i] + c
        return hook

    @torch.no_grad()
    def step(self) -> float:
        """Applies the bias update; returns the worst max/mean load ratio seen (1.0 = balanced)."""
        worst = 1.0
        for r, c in zip(self.routers, self.counts):
            if c is None:
                continue
            mean = c.mean()
            r.e_score_correction_bias.add_(self.gamma * torch.sign(mean - c))
            worst = max(worst, float(c.max() / mean.clamp(min=1)))
        self.counts = [None] * len(self.routers)
        return worst


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

def read_docs(path: str, max_bytes: int | None = None) -> list:
    """Documents of a corpus file (blank-line separated), optionally only the first ``max_bytes``."""
    with open(path, encoding="utf-8") as f:
        text = f.read(max_bytes) if max_bytes else f.read()
    docs = [d.strip("\n") for d in text.split("\n\n")]
    if max_bytes and len(docs) > 1:
        docs = docs[:-1]  # the last one may be cut
    return [d for d in docs if d]


def encode_docs(tok, docs: list, bos: int, eos: int) -> tuple:
    """Flat int32 token stream of ``<bos> doc <eos>`` for every doc, and each doc's start offset."""
    enc = tok.encode_batch(docs, add_special_tokens=False)
    lengths = np.array([len(e.ids) + 2 for e in enc], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.empty(int(lengths.sum()), dtype=np.int32)
    for s, e in zip(starts, enc):
        flat[s] = bos
        flat[s + 1: s + 1 + len(e.ids)] = e.ids
        flat[s + 1 + len(e.ids)] = eos
    return flat, starts


class Batches:
    """Random training sequences, each starting at a document start (position 0 is always <bos>)."""

    def __init__(self, flat: np.ndarray, starts: np.ndarray, seq_len: int, batch: int, seed: int):
        self.flat = torch.from_numpy(flat.astype(np.int64))
        self.starts = starts[starts + seq_len + 1 <= len(flat)]
        self.seq_len, self.batch = seq_len, batch
        self.rng = np.random.default_rng(seed)

    def next(self) -> torch.Tensor:
        """A [batch, seq_len + 1] tensor of token ids."""
        s = self.rng.choice(self.starts, size=self.batch)
        idx = torch.from_numpy(s)[:, None] + torch.arange(self.seq_len + 1)[None, :]
        return self.flat[idx]


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------

def shuffle_words(doc: str, rng: random.Random) -> str:
    """The same words in random order (per line), the baseline for perplexity separation."""
    lines = []
    for line in doc.split("\n"):
        w = line.split(" ")
        rng.shuffle(w)
        lines.append(" ".join(w))
    return "\n".join(lines)


@torch.no_grad()
def doc_nll(model, tok, docs: list, device, max_len: int, batch: int, autocast) -> tuple:
    """Summed NLL and token count over ``<bos> doc <eos>`` per document (right-padded batches).

    Right padding is safe: attention is causal, so real tokens never see the pads.
    """
    bos, eos, pad = 0, 1, 2
    enc = [[bos] + e.ids[: max_len - 2] + [eos] for e in tok.encode_batch(docs, add_special_tokens=False)]
    order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
    total, count = 0.0, 0
    for i in range(0, len(order), batch):
        rows = [enc[j] for j in order[i:i + batch]]
        L = max(len(r) for r in rows)
        ids = torch.full((len(rows), L), pad, dtype=torch.long)
        labels = torch.full((len(rows), L), -100, dtype=torch.long)
        for k, r in enumerate(rows):
            ids[k, :len(r)] = torch.tensor(r)
            labels[k, :len(r)] = torch.tensor(r)
        ids, labels = ids.to(device), labels.to(device)
        with autocast():
            logits = model(input_ids=ids).logits.float()
        lp = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                             ignore_index=-100, reduction="sum")
        total += float(lp)
        count += int((labels[:, 1:] != -100).sum())
    return total, count


@torch.no_grad()
def classify(model, tok, rows: list, device, batch: int, autocast) -> dict:
    """Zero-shot accuracy: the choice with the highest summed log-likelihood after the prompt."""
    seqs, owners = [], []
    for i, row in enumerate(rows):
        p = tok.encode(row["prompt"], add_special_tokens=False).ids
        for c, choice in enumerate(row["choices"]):
            cids = tok.encode(row["prompt"] + choice, add_special_tokens=False).ids[len(p):]
            seqs.append(([0] + p, cids))
            owners.append((i, c))
    scores = [[0.0] * len(r["choices"]) for r in rows]
    for s in range(0, len(seqs), batch):
        chunk = seqs[s:s + batch]
        L = max(len(p) + len(c) for p, c in chunk)
        ids = torch.full((len(chunk), L), 2, dtype=torch.long)
        for k, (p, c) in enumerate(chunk):
            ids[k, :len(p) + len(c)] = torch.tensor(p + c)
        with autocast():
            logp = torch.log_softmax(model(input_ids=ids.to(device)).logits.float(), dim=-1).cpu()
        for k, (p, c) in enumerate(chunk):
            i, j = owners[s + k]
            scores[i][j] = sum(float(logp[k, len(p) - 1 + t, c[t]]) for t in range(len(c)))
    result = {}
    for task in sorted({r["task"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["task"] == task]
        right = sum(1 for i in idx if rows[i]["choices"][int(np.argmax(scores[i]))].strip() == rows[i]["label"])
        result[task] = {"accuracy": round(right / len(idx), 4), "n": len(idx),
                        "chance": round(1 / len(rows[idx[0]]["choices"]), 4)}
    return result


@torch.no_grad()
def samples(model, hf_tok, prompts: list, device, max_new: int) -> list:
    """Greedy continuations of ``prompts`` (through transformers' generate and the V4 cache)."""
    out = []
    for prompt in prompts:
        ids = hf_tok(prompt, return_tensors="pt").input_ids.to(device)
        gen = model.generate(ids, max_new_tokens=max_new, do_sample=False, eos_token_id=1, pad_token_id=2)
        out.append({"prompt": prompt, "text": hf_tok.decode(gen[0, ids.shape[1]:], skip_special_tokens=True)})
    return out


def evaluate(model, tok, hf_tok, args, device, autocast) -> dict:
    """Held-out perplexity (real vs word-shuffled), classification accuracy and samples."""
    model.eval()
    model.config.use_cache = True
    docs = read_docs(os.path.join(args.corpus, "test.txt"))
    rng = random.Random(args.seed)
    rng.shuffle(docs)
    docs = docs[: args.eval_docs]
    nll, n = doc_nll(model, tok, docs, device, args.seq_len, args.eval_batch, autocast)
    srng = random.Random(args.seed + 5)
    snll, sn = doc_nll(model, tok, [shuffle_words(d, srng) for d in docs], device, args.seq_len, args.eval_batch, autocast)
    result = {"test_docs": len(docs), "test_tokens": n, "test_nll": round(nll / n, 4),
              "test_ppl": round(math.exp(nll / n), 3), "shuffled_tokens": sn,
              "shuffled_ppl": round(math.exp(snll / sn), 3)}
    labels_path = os.path.join(args.corpus, "labels-test.jsonl")
    if os.path.exists(labels_path):
        rows = [json.loads(l) for l in open(labels_path, encoding="utf-8")]
        rng.shuffle(rows)
        result["classification"] = classify(model, tok, rows[: args.eval_labels], device, args.eval_batch, autocast)
    result["samples"] = samples(model, hf_tok, ["Once upon a time", "One day, Tom went to the park.",
                                                "The town of", "Q: What do the people of"], device, args.sample_tokens)
    return result


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def param_groups(model, weight_decay: float) -> list:
    """Weight decay on matrices only (not on norms, mHC base/scale, sinks or position biases)."""
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.ndim >= 2 and "position_bias" not in n and "_hc." not in n and "hc_head" not in n
         else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def lr_at(progress: float, step: int, args) -> float:
    """Linear warm-up for ``--warmup`` steps, then cosine from ``--lr`` down to ``--lr * --min-lr-ratio``."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = min(1.0, progress)
    return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p)))


def apply_tiny(args) -> None:
    """The --tiny preset: a small model on a slice of the corpus, a couple of minutes on a CPU."""
    args.corpus_mb = args.corpus_mb or 2.0
    args.steps = min(args.steps, 120) if args.steps_given else 120
    args.minutes = min(args.minutes, 3.0)
    args.hidden, args.layers, args.heads, args.head_dim, args.rope_dim = 64, 4, 2, 32, 8
    args.q_lora, args.o_lora, args.o_groups = 32, 16, 2
    args.window, args.hca_rate, args.index_heads, args.index_head_dim, args.index_topk = 16, 8, 4, 16, 4
    args.experts, args.top_k, args.expert_width, args.hash_layers = 4, 2, 64, 1
    args.seq_len, args.batch_size, args.lr, args.warmup = 128, 8, 3e-3, 20
    args.eval_docs, args.eval_labels, args.sample_tokens, args.log_every = 100, 100, 24, 10


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Train the small DeepSeek-V4-style model (every mechanism on).",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--corpus", default="/tmp/ember-corpus", help="directory with train.txt, test.txt, labels-test.jsonl")
    ap.add_argument("--tokenizer", default="/tmp/ember-tokenizer", help="directory with tokenizer.json (train_tokenizer.py)")
    ap.add_argument("--out", default="/tmp/ember-v4", help="output model directory")
    ap.add_argument("--steps", type=int, default=100000, help="maximum optimiser steps (the time budget usually ends first)")
    ap.add_argument("--minutes", type=float, default=8.0, help="wall-clock training budget; stops cleanly and saves")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tiny", action="store_true", help="small model, corpus slice and step count for a CPU smoke test")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--corpus-mb", type=float, default=None, help="use only the first N MB of train.txt")
    # Shape.
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--rope-dim", type=int, default=16)
    ap.add_argument("--q-lora", type=int, default=128)
    ap.add_argument("--o-groups", type=int, default=2)
    ap.add_argument("--o-lora", type=int, default=64)
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--hca-rate", type=int, default=16, help="HCA compress rate (CSA is always 4)")
    ap.add_argument("--index-heads", type=int, default=8)
    ap.add_argument("--index-head-dim", type=int, default=32)
    ap.add_argument("--index-topk", type=int, default=8)
    ap.add_argument("--experts", type=int, default=8)
    ap.add_argument("--top-k", type=int, default=2)
    ap.add_argument("--expert-width", type=int, default=256)
    ap.add_argument("--hash-layers", type=int, default=2)
    ap.add_argument("--max-positions", type=int, default=2048, help="config max_position_embeddings")
    # Optimisation.
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--balance-gamma", type=float, default=1e-3, help="router bias update speed (0 = off)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA; experimental)")
    ap.add_argument("--log-every", type=int, default=50)
    # Evaluation.
    ap.add_argument("--eval-docs", type=int, default=1000, help="test.txt documents for perplexity")
    ap.add_argument("--eval-labels", type=int, default=2000, help="labels-test.jsonl rows for classification")
    ap.add_argument("--eval-batch", type=int, default=64)
    ap.add_argument("--sample-tokens", type=int, default=64)
    args = ap.parse_args(argv)
    args.steps_given = any(a.startswith("--steps") for a in (argv if argv is not None else sys.argv[1:]))
    if args.tiny:
        apply_tiny(args)

    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)

    tok = Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    hf_tok = AutoTokenizer.from_pretrained(args.tokenizer)
    assert tok.token_to_id("<|bos|>") == 0 and tok.token_to_id("<|eos|>") == 1 and tok.token_to_id("<|pad|>") == 2
    vocab = tok.get_vocab_size()

    t0 = time.time()
    docs = read_docs(os.path.join(args.corpus, "train.txt"), int(args.corpus_mb * 1e6) if args.corpus_mb else None)
    flat, starts = encode_docs(tok, docs, 0, 1)
    batches = Batches(flat, starts, args.seq_len, args.batch_size, args.seed)
    print(f"data: {len(docs)} documents, {len(flat)} tokens ({time.time() - t0:.1f}s to tokenize)", flush=True)

    cfg = model_config(vocab, args)
    model = build_model(cfg, args.seed).to(device)
    counts = count_params(model)
    print("config: layer_types=%s mlp_layer_types=%s" % (cfg.layer_types, cfg.mlp_layer_types), flush=True)
    print("params: " + json.dumps(counts), flush=True)

    balancer = RouterBalancer(model, args.balance_gamma) if args.balance_gamma > 0 else None
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95), eps=1e-8,
                            fused=device.type == "cuda")
    fwd = torch.compile(model) if args.compile else model

    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "train_log.jsonl"), "w", encoding="utf-8")
    budget = args.minutes * 60
    model.train()
    model.config.use_cache = False
    start = time.time()
    step, tokens, ema = 0, 0, None
    while step < args.steps:
        elapsed = time.time() - start
        if elapsed >= budget:
            print(f"time budget of {args.minutes} min reached at step {step}", flush=True)
            break
        progress = max(step / args.steps, elapsed / budget)
        lr = lr_at(progress, step, args)
        for group in opt.param_groups:
            group["lr"] = lr
        batch = batches.next().to(device, non_blocking=True)
        with autocast():
            logits = fwd(input_ids=batch[:, :-1], use_cache=False).logits
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        imbalance = balancer.step() if balancer else 1.0
        step += 1
        tokens += batch.numel() - batch.shape[0]
        if step % args.log_every == 0 or step == 1:
            lv = float(loss.detach())
            ema = lv if ema is None else 0.9 * ema + 0.1 * lv
            rec = {"step": step, "loss": round(lv, 4), "lr": round(lr, 6), "grad_norm": round(float(gnorm), 3),
                   "max_expert_load": round(imbalance, 2), "tokens": tokens, "seconds": round(time.time() - start, 1),
                   "tokens_per_s": int(tokens / max(1e-6, time.time() - start))}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
            if not math.isfinite(lv):
                print("loss is not finite; stopping", flush=True)
                return 1
    train_seconds = time.time() - start
    log.close()

    model.config.use_cache = True
    model.save_pretrained(args.out)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        src = os.path.join(args.tokenizer, name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(args.out, name))
    print(f"saved model to {args.out} after {step} steps, {tokens} tokens, {train_seconds:.0f}s", flush=True)

    t1 = time.time()
    result = evaluate(model, tok, hf_tok, args, device, autocast)
    result.update({"steps": step, "train_tokens": tokens, "train_seconds": round(train_seconds, 1),
                   "eval_seconds": round(time.time() - t1, 1), "params": counts, "device": str(device),
                   "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
                   "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if device.type == "cuda" else None,
                   "args": {k: v for k, v in vars(args).items() if k != "steps_given"},
                   "seed": args.seed, "torch": torch.__version__,
                   "transformers": __import__("transformers").__version__})
    with open(os.path.join(args.out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: result[k] for k in ("test_ppl", "shuffled_ppl", "classification", "samples") if k in result},
                     indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
