package dev.ember.engine.synth;

import java.util.LinkedHashMap;
import java.util.Map;

/** The built-in presets, by name. */
final class Presets {
    private Presets() {}

    /** V4-Flash's layer pattern: two sliding-window layers, then CSA (4) and HCA alternating. */
    static int[] v4Ratios(int layers, int hca) {
        int[] r = new int[layers];
        for (int i = 2; i < layers; i++) r[i] = i % 2 == 0 ? 4 : hca;
        return r;
    }

    /** Gemma 3n's default layer types: four sliding layers, then a full one. */
    static boolean[] fourToOne(int layers) {
        boolean[] sliding = new boolean[layers];
        for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % 5 != 0;
        return sliding;
    }

    /** Activation sparsity {@code s} on the first {@code sparse} layers, dense after. */
    static float[] sparseFirst(int layers, int sparse, float s) {
        float[] out = new float[layers];
        for (int i = 0; i < sparse; i++) out[i] = s;
        return out;
    }

    static final Map<String, Preset> ALL = new LinkedHashMap<>();

    private static void add(Preset p) { ALL.put(p.name(), p); }

    static {
        // Qwen3-0.6B's shape (config.json of Qwen/Qwen3-0.6B): q projection 16 x 128 = 2048 wide,
        // wider than the 1024 hidden size; tied embeddings; per-head q/k RMSNorm.
        add(new Preset("qwen3-0.6b", "qwen3", 1024, 28, 40960, 1e6, 1e-6, true, 0.02,
                new Preset.GqaAttention(16, 8, 128, true), new Preset.DenseFeedForward(3072),
                new Preset.Vocab(151936, "qwen2", 151643)));
        // The MoE benchmark shapes of llamacpp-baseline.md.
        add(new Preset("qwen3moe-mini", "qwen3moe", 1024, 16, 40960, 1e6, 1e-6, false, 0.02,
                new Preset.GqaAttention(16, 4, 128, true), new Preset.MoeFeedForward(32, 4, 512, 0, 0, 0, false),
                new Preset.Vocab(151936, "qwen2", 151643)));
        // q-LoRA on (rank 384), as in DeepSeek-V2/V3: llama.cpp treats a deepseek2 file without it
        // as a Lite model only at 26 or 27 layers.
        add(new Preset("deepseek2-mini", "deepseek2", 1024, 16, 163840, 10000, 1e-6, false, 0.02,
                new Preset.LatentAttention(16, 384, 256, 64, 32, 64), new Preset.MoeFeedForward(16, 4, 512, 1, 1, 4096, true),
                new Preset.Vocab(102400, "deepseek-v3", 100000)));
        // DeepSeek-V4 at about 0.5B active parameters with every mechanism on and V4's real ratios
        // (CSA 4, HCA 128, window 128): 2 sliding-window layers, then CSA and HCA alternating.
        add(new Preset("deepseek4-mini", "deepseek4", 1024, 16, 1 << 20, 10000, 1e-6, false, 0.02,
                new Preset.V4Attention(8, 512, 64, 512, 4, 512, 128, v4Ratios(16, 128), 16, 128, 512, 4),
                new Preset.V4MoeFeedForward(32, 4, 512, 1, 2, 10f),
                new Preset.Vocab(129280, "deepseek-v3", 128000)));
        // Gemma 2 2B's shape (config.json of google/gemma-2-2b): window 4096 on alternate layers,
        // soft-capping 50/30, tied embeddings, 256k vocabulary (synthetic byte-level BPE here).
        add(new Preset("gemma2-2b", "gemma2", 2304, 26, 8192, 10000, 1e-6, true, 0.02,
                new Preset.GemmaAttention(8, 4, 256, false, 4096, 2, 50f, 30f, 0), new Preset.GemmaFeedForward(9216),
                new Preset.Vocab(256000, "qwen2", 255000)));
        // Gemma 3 1B's shape (config.json of google/gemma-3-1b-pt): 5 local layers (window 512,
        // RoPE base 10000) to 1 global (base 1e6), one KV head of 256, 262k vocabulary.
        add(new Preset("gemma3-1b", "gemma3", 1152, 26, 32768, 1e6, 1e-6, true, 0.02,
                new Preset.GemmaAttention(4, 1, 256, true, 512, 6, 0f, 0f, 10000), new Preset.GemmaFeedForward(6912),
                new Preset.Vocab(262144, "qwen2", 262000)));
        // Phi-3-mini's shape (config.json of microsoft/Phi-3-mini-128k-instruct): MHA 32 x 96, fused
        // QKV and gate/up, LongRoPE from 4096 to 131072 (synthetic factor sets), window 262144.
        add(new Preset("phi3-mini", "phi3", 3072, 32, 131072, 10000, 1e-5, false, 0.02,
                new Preset.Phi3Attention(32, 32, 96, 4096, 262144), new Preset.Phi3FeedForward(8192),
                new Preset.Vocab(32064, "qwen2", 32000)));
        // gpt-oss-20b's shapes (config.json of openai/gpt-oss-20b) in 4 of its 24 layers: 64 query
        // heads of 64 (4096 wide, wider than the 2880 hidden size) over 8 KV heads, window 128 on
        // alternate layers, 32 experts of 2880 top-4, YaRN 32 over 4096 (theta 150000), o200k's
        // 201088-token vocabulary (synthetic BPE here, gpt-4o split; <|endoftext|> at 199999).
        add(new Preset("gpt-oss-20b-mini", "gpt-oss", 2880, 4, 131072, 150000, 1e-5, false, 0.02,
                new Preset.GptOssAttention(64, 8, 64, 128, 2, 32f, 4096), new Preset.GptOssFeedForward(32, 4, 2880),
                new Preset.Vocab(201088, "gpt-4o", 199999)));
        // Gemma 3n E2B's text shapes (config.json of google/gemma-3n-E2B: hidden 2048, 8 heads, 2 KV
        // heads of 256, FFN 8192, per-layer inputs 256 wide, LAuReL rank 64, 4 AltUp streams, window
        // 512, four sliding layers to one full, sparsity 0.95 on the first 10 layers, a third of the
        // layers sharing KV), at 15 of its 30 layers: its per-layer embedding table alone is
        // 262144 x (256 per layer) values, 2.0B at full depth.
        add(new Preset("gemma3n-e2b", "gemma3n", 2048, 15, 32768, 1e6, 1e-6, true, 0.02,
                new Preset.Gemma3nAttention(8, 2, 256, 512, fourToOne(15), 5, 10000, 30f),
                new Preset.Gemma3nFeedForward(8192, sparseFirst(15, 10, 0.95f), 4, 64, 256),
                new Preset.Vocab(262400, "qwen2", 262000)));
        // Tiny models for tests: every row length a multiple of 32 so that all types apply.
        // phi3-tiny: GQA, 12 of 16 dims rotated (Phi-4-mini's 3/4), LongRoPE long factors (context
        // 256 > 32), a 48-token window shorter than most test prompts.
        add(new Preset("phi3-tiny", "phi3", 64, 2, 256, 10000, 1e-5, false, 0.02,
                new Preset.Phi3Attention(4, 2, 12, 32, 48), new Preset.Phi3FeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
        // gemma2-tiny's window (16) is shorter than most test prompts.
        add(new Preset("gemma2-tiny", "gemma2", 64, 3, 256, 10000, 1e-6, true, 0.02,
                new Preset.GemmaAttention(4, 2, 32, false, 16, 2, 50f, 30f, 0), new Preset.GemmaFeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
        add(new Preset("llama-tiny", "llama", 64, 2, 256, 10000, 1e-5, false, 0.02,
                new Preset.GqaAttention(4, 2, 16, false), new Preset.DenseFeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
        // BERT-base's shape (bert-base-uncased, as in bge-base / all-mpnet-sized embedders): 12 layers
        // of 768 with 12 heads, FFN 3072, 512 positions, a 30522-token vocabulary (synthetic BPE
        // here); an encoder, so embeddings only (CLS pooling unless synth --pooling says otherwise).
        add(new Preset("bert-base", "bert", 768, 12, 512, 10000, 1e-12, true, 0.02,
                new Preset.BertAttention(12), new Preset.BertFeedForward(3072),
                new Preset.Vocab(30522, "qwen2", 30000)));
        add(new Preset("qwen3-tiny", "qwen3", 64, 2, 256, 1e6, 1e-6, true, 0.02,
                new Preset.GqaAttention(4, 2, 32, true), new Preset.DenseFeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
        add(new Preset("qwen3moe-tiny", "qwen3moe", 64, 2, 256, 1e6, 1e-6, false, 0.02,
                new Preset.GqaAttention(4, 2, 32, true), new Preset.MoeFeedForward(8, 2, 64, 0, 0, 0, false),
                new Preset.Vocab(512, "qwen2", 509)));
        add(new Preset("deepseek2-tiny", "deepseek2", 64, 3, 256, 10000, 1e-6, false, 0.02,
                new Preset.LatentAttention(4, 32, 64, 32, 32, 32), new Preset.MoeFeedForward(8, 2, 64, 1, 1, 128, true),
                new Preset.Vocab(512, "qwen2", 509)));
        add(new Preset("deepseek4-tiny", "deepseek4", 64, 6, 4096, 10000, 1e-6, false, 0.05,
                new Preset.V4Attention(4, 64, 16, 32, 2, 32, 16, v4Ratios(6, 16), 4, 32, 4, 4),
                new Preset.V4MoeFeedForward(8, 2, 64, 1, 1, 10f),
                new Preset.Vocab(512, "qwen2", 509)));
        // gpt-oss-tiny's window (16) is shorter than most test prompts.
        add(new Preset("gpt-oss-tiny", "gpt-oss", 64, 4, 4096, 150000, 1e-5, false, 0.02,
                new Preset.GptOssAttention(4, 2, 16, 16, 2, 4f, 512), new Preset.GptOssFeedForward(4, 2, 64),
                new Preset.Vocab(512, "qwen2", 509)));
        // gemma3n-tiny: window 16 on layers 0, 1, 3, 4; layers 4 and 5 read the KV of 3 and 2;
        // sparse FFN on layers 0 and 1.
        add(new Preset("gemma3n-tiny", "gemma3n", 64, 6, 256, 1e6, 1e-6, true, 0.02,
                new Preset.Gemma3nAttention(4, 2, 32, 16, new boolean[]{true, true, false, true, true, false}, 2, 10000, 30f),
                new Preset.Gemma3nFeedForward(128, sparseFirst(6, 2, 0.95f), 4, 32, 32),
                new Preset.Vocab(512, "qwen2", 509)));
        add(new Preset("gemma3-tiny", "gemma3", 64, 4, 256, 1e6, 1e-6, true, 0.02,
                new Preset.GemmaAttention(4, 2, 32, true, 16, 3, 0f, 0f, 10000), new Preset.GemmaFeedForward(128),
                new Preset.Vocab(512, "qwen2", 509)));
    }
}
