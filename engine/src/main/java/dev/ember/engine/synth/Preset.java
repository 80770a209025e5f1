package dev.ember.engine.synth;

import dev.ember.engine.gguf.GgufWriter;

import java.util.List;

/**
 * The shape of a synthetic model, as data: everything that decides its tensors and metadata. A
 * model is a composition of parts (attention, feed-forward, vocabulary); each part lists its own
 * tensors and writes its own metadata, so a new family (MoE, DeepSeek's MLA) adds a part and a
 * preset rather than a new generator.
 *
 * @param name            the preset name users pass ({@code --preset})
 * @param architecture    {@code general.architecture}, also the prefix of the model's keys
 * @param hidden          embedding length
 * @param layers          block count
 * @param contextLength   trained context length
 * @param ropeTheta       RoPE frequency base
 * @param rmsEps          RMSNorm epsilon
 * @param tiedEmbeddings  true when the output projection reuses token_embd (no output.weight)
 * @param initStd         standard deviation of the random normal weights
 */
public record Preset(String name, String architecture, int hidden, int layers, int contextLength,
              double ropeTheta, double rmsEps, boolean tiedEmbeddings, double initStd,
              Attention attention, FeedForward feedForward, Vocab vocab) {

    /**
     * How a tensor's values are made. ROUTER is random normal but stays F32, like llama.cpp keeps
     * routers and DeepSeek-V4's mHC parameters; EXPERT_IDS fills a hash-routing table with distinct
     * valid expert ids per token (F32, which Ember's loader accepts beside I32). The LongRoPE
     * factor sets are smooth ramps over the rotated pairs (see {@link Phi3Attention}).
     */
    public enum Init { NORMAL, ONES, ROUTER, EXPERT_IDS, LONG_ROPE_FACTORS, SHORT_ROPE_FACTORS }

    /** One tensor of the model; {@code shape} is in GGML order (row length first). */
    public record TensorSpec(String name, long[] shape, Init init) {
        static TensorSpec weight(String name, long rowLength, long rows) { return new TensorSpec(name, new long[]{rowLength, rows}, Init.NORMAL); }
        static TensorSpec norm(String name, long length) { return new TensorSpec(name, new long[]{length}, Init.ONES); }
        static TensorSpec experts(String name, long rowLength, long rows, long experts) {
            return new TensorSpec(name, new long[]{rowLength, rows, experts}, Init.NORMAL);
        }
        static TensorSpec router(String name, long rowLength, long experts) { return new TensorSpec(name, new long[]{rowLength, experts}, Init.ROUTER); }
    }

    /** A layer part that contributes tensors to each block and keys to the metadata. */
    public sealed interface Part permits Attention, FeedForward {
        void tensors(Preset p, int layer, List<TensorSpec> out);
        void metadata(Preset p, GgufWriter w);
    }

    public sealed interface Attention extends Part permits GqaAttention, LatentAttention, V4Attention, GemmaAttention, Gemma3nAttention, BertAttention,
            Phi3Attention, GptOssAttention {}

    public sealed interface FeedForward extends Part permits DenseFeedForward, MoeFeedForward, V4MoeFeedForward, GemmaFeedForward, Gemma3nFeedForward,
            BertFeedForward, Phi3FeedForward, GptOssFeedForward {}

    /**
     * BERT's post-norm multi-head attention with biases, as llama.cpp's {@code bert}: the blocks'
     * LayerNorm comes after the branch; the embeddings have learned positions, token types and a
     * LayerNorm ({@link #globals}), and there is no output norm or head. Biases and norms are ones.
     */
    public record BertAttention(int heads) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            for (String m : new String[]{"attn_q", "attn_k", "attn_v", "attn_output"}) {
                out.add(TensorSpec.weight(b + m + ".weight", p.hidden(), p.hidden()));
                out.add(TensorSpec.norm(b + m + ".bias", p.hidden()));
            }
            out.add(TensorSpec.norm(b + "attn_output_norm.weight", p.hidden()));
            out.add(TensorSpec.norm(b + "attn_output_norm.bias", p.hidden()));
        }

        void globals(Preset p, List<TensorSpec> out) {
            out.add(TensorSpec.weight("position_embd.weight", p.hidden(), p.contextLength()));
            out.add(TensorSpec.weight("token_types.weight", p.hidden(), 2));
            out.add(TensorSpec.norm("token_embd_norm.weight", p.hidden()));
            out.add(TensorSpec.norm("token_embd_norm.bias", p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putFloat32(a + "attention.layer_norm_epsilon", (float) p.rmsEps());
            w.putBool(a + "attention.causal", false);
            w.putUInt32("tokenizer.ggml.token_type_count", 2);
        }
    }

    /** BERT's GELU feed-forward with biases, LayerNorm after the branch. */
    public record BertFeedForward(int size) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.weight(b + "ffn_up.weight", p.hidden(), size));
            out.add(TensorSpec.norm(b + "ffn_up.bias", size));
            out.add(TensorSpec.weight(b + "ffn_down.weight", size, p.hidden()));
            out.add(TensorSpec.norm(b + "ffn_down.bias", p.hidden()));
            out.add(TensorSpec.norm(b + "layer_output_norm.weight", p.hidden()));
            out.add(TensorSpec.norm(b + "layer_output_norm.bias", p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            w.putUInt32(p.architecture() + ".feed_forward_length", size);
        }
    }

    /** Grouped-query attention as in Llama and Qwen3, optionally with per-head RMSNorm on q and k (Qwen3). */
    public record GqaAttention(int heads, int kvHeads, int headDim, boolean qkNorm) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "attn_norm.weight", p.hidden()));
            out.add(TensorSpec.weight(b + "attn_q.weight", p.hidden(), (long) heads * headDim));
            out.add(TensorSpec.weight(b + "attn_k.weight", p.hidden(), (long) kvHeads * headDim));
            out.add(TensorSpec.weight(b + "attn_v.weight", p.hidden(), (long) kvHeads * headDim));
            out.add(TensorSpec.weight(b + "attn_output.weight", (long) heads * headDim, p.hidden()));
            if (qkNorm) {
                out.add(TensorSpec.norm(b + "attn_q_norm.weight", headDim));
                out.add(TensorSpec.norm(b + "attn_k_norm.weight", headDim));
            }
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", kvHeads);
            w.putUInt32(a + "attention.key_length", headDim);
            w.putUInt32(a + "attention.value_length", headDim);
            w.putUInt32(a + "rope.dimension_count", headDim);
        }
    }

    /**
     * Gemma 2 and 3's attention: GQA (Q/K norms on Gemma 3) with a norm after the branch too, a
     * sliding window on all but every {@code period}-th layer, soft-capped scores and logits when
     * the caps are > 0, the sliding layers' RoPE base when {@code localRopeBase} > 0 (llama.cpp's keys).
     */
    public record GemmaAttention(int heads, int kvHeads, int headDim, boolean qkNorm, int window, int period,
                          float attnSoftcap, float finalSoftcap, double localRopeBase) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            new GqaAttention(heads, kvHeads, headDim, qkNorm).tensors(p, layer, out);
            out.add(TensorSpec.norm("blk." + layer + ".post_attention_norm.weight", p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            new GqaAttention(heads, kvHeads, headDim, qkNorm).metadata(p, w);
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.sliding_window", window);
            w.putUInt32(a + "attention.sliding_window_pattern", period);
            if (attnSoftcap > 0) w.putFloat32(a + "attn_logit_softcapping", attnSoftcap);
            if (finalSoftcap > 0) w.putFloat32(a + "final_logit_softcapping", finalSoftcap);
            if (localRopeBase > 0) w.putFloat32(a + "rope.freq_base_swa", (float) localRopeBase);
        }
    }

    /**
     * gpt-oss's attention as llama.cpp's {@code gpt-oss} stores it: GQA with Q/K/V/O biases and a
     * sink logit per head (random, F32), a window on all but every {@code period}-th layer, YaRN
     * ({@code yarnFactor} over {@code originalContext}) when the factor is > 1.
     */
    public record GptOssAttention(int heads, int kvHeads, int headDim, int window, int period, float yarnFactor, int originalContext) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            new GqaAttention(heads, kvHeads, headDim, false).tensors(p, layer, out);
            String b = "blk." + layer + ".";
            out.add(new TensorSpec(b + "attn_q.bias", new long[]{(long) heads * headDim}, Init.ROUTER));
            out.add(new TensorSpec(b + "attn_k.bias", new long[]{(long) kvHeads * headDim}, Init.ROUTER));
            out.add(new TensorSpec(b + "attn_v.bias", new long[]{(long) kvHeads * headDim}, Init.ROUTER));
            out.add(new TensorSpec(b + "attn_output.bias", new long[]{p.hidden()}, Init.ROUTER));
            out.add(new TensorSpec(b + "attn_sinks.weight", new long[]{heads}, Init.ROUTER));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            new GqaAttention(heads, kvHeads, headDim, false).metadata(p, w);
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.sliding_window", window);
            if (period != 2) w.putUInt32(a + "attention.sliding_window_pattern", period);
            if (yarnFactor > 1) {
                w.putString(a + "rope.scaling.type", "yarn");
                w.putFloat32(a + "rope.scaling.factor", yarnFactor);
                w.putUInt32(a + "rope.scaling.original_context_length", originalContext);
            }
        }
    }

    /**
     * gpt-oss's all-MoE block: the norm after attention ({@code post_attention_norm}), a router
     * with a bias, {@code experts} experts of width {@code expertSize} with biases (random, F32), top {@code used}.
     */
    public record GptOssFeedForward(int experts, int used, int expertSize) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "post_attention_norm.weight", p.hidden()));
            out.add(TensorSpec.router(b + "ffn_gate_inp.weight", p.hidden(), experts));
            out.add(new TensorSpec(b + "ffn_gate_inp.bias", new long[]{experts}, Init.ROUTER));
            out.add(TensorSpec.experts(b + "ffn_gate_exps.weight", p.hidden(), expertSize, experts));
            out.add(TensorSpec.experts(b + "ffn_up_exps.weight", p.hidden(), expertSize, experts));
            out.add(TensorSpec.experts(b + "ffn_down_exps.weight", expertSize, p.hidden(), experts));
            out.add(new TensorSpec(b + "ffn_gate_exps.bias", new long[]{expertSize, experts}, Init.ROUTER));
            out.add(new TensorSpec(b + "ffn_up_exps.bias", new long[]{expertSize, experts}, Init.ROUTER));
            out.add(new TensorSpec(b + "ffn_down_exps.bias", new long[]{p.hidden(), experts}, Init.ROUTER));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "feed_forward_length", expertSize);
            w.putUInt32(a + "expert_feed_forward_length", expertSize);
            w.putUInt32(a + "expert_count", experts);
            w.putUInt32(a + "expert_used_count", used);
        }
    }

    /**
     * Gemma 3n's attention as llama.cpp's converter writes it: Q/K norms, a norm after the branch,
     * {@code sliding[l]} for the sliding layers (a bool per layer), the last {@code sharedKvLayers}
     * layers reading an earlier layer's KV; their K/V projections and K norm are written anyway,
     * as Google's checkpoints hold them and llama.cpp loads them (Ember ignores them).
     */
    public record Gemma3nAttention(int heads, int kvHeads, int headDim, int window, boolean[] sliding, int sharedKvLayers,
                            double localRopeBase, float finalSoftcap) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            new GemmaAttention(heads, kvHeads, headDim, true, window, 0, 0f, finalSoftcap, localRopeBase).tensors(p, layer, out);
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            new GqaAttention(heads, kvHeads, headDim, true).metadata(p, w);
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.sliding_window", window);
            w.putArray(a + "attention.sliding_window_pattern", dev.ember.engine.gguf.GgufValueType.BOOL, sliding.clone());
            w.putUInt32(a + "attention.shared_kv_layers", sharedKvLayers);
            w.putFloat32(a + "final_logit_softcapping", finalSoftcap);
            w.putFloat32(a + "rope.freq_base_swa", (float) localRopeBase);
        }
    }

    /**
     * Gemma 3n's feed-forward side of a block and everything else it adds: the GeGLU (sparse where
     * {@code sparsity[l]} > 0), AltUp with {@code altUpInputs} streams, LAuReL of rank
     * {@code laurelRank}, per-layer inputs {@code perLayerWidth} wide, and their model-level tensors
     * ({@link #globals}).
     */
    public record Gemma3nFeedForward(int size, float[] sparsity, int altUpInputs, int laurelRank, int perLayerWidth) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            new GemmaFeedForward(size).tensors(p, layer, out);
            String b = "blk." + layer + ".";
            long d = p.hidden(), n = altUpInputs;
            out.add(TensorSpec.weight(b + "inp_gate.weight", d, perLayerWidth));
            out.add(TensorSpec.weight(b + "proj.weight", perLayerWidth, d));
            out.add(TensorSpec.norm(b + "post_norm.weight", d));
            out.add(TensorSpec.router(b + "altup_correct_coef.weight", n, n));
            out.add(TensorSpec.norm(b + "altup_correct_scale.weight", d));
            out.add(TensorSpec.router(b + "altup_predict_coef.weight", n, n * n));
            out.add(TensorSpec.router(b + "altup_router.weight", d, n));
            out.add(TensorSpec.norm(b + "altup_router_norm.weight", d));
            out.add(TensorSpec.weight(b + "laurel_l.weight", d, laurelRank));
            out.add(TensorSpec.weight(b + "laurel_r.weight", laurelRank, d));
            out.add(TensorSpec.norm(b + "laurel_post_norm.weight", d));
        }

        /** The per-layer embedding table and projection, and the stacked AltUp projections. */
        void globals(Preset p, List<TensorSpec> out) {
            long d = p.hidden(), perLayer = (long) perLayerWidth * p.layers();
            out.add(TensorSpec.experts("altup_proj.weight", d, d, altUpInputs - 1));
            out.add(TensorSpec.experts("altup_unembd_proj.weight", d, d, altUpInputs - 1));
            out.add(TensorSpec.weight("per_layer_token_embd.weight", perLayer, p.vocab().size()));
            out.add(TensorSpec.weight("per_layer_model_proj.weight", d, perLayer));
            out.add(TensorSpec.norm("per_layer_proj_norm.weight", perLayerWidth));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "feed_forward_length", size);
            w.putUInt32(a + "altup.active_idx", 0);
            w.putUInt32(a + "altup.num_inputs", altUpInputs);
            w.putUInt32(a + "embedding_length_per_layer_input", perLayerWidth);
            float[] multipliers = new float[sparsity.length];
            for (int i = 0; i < multipliers.length; i++) multipliers[i] = dev.ember.engine.model.GaussianTopK.stdMultiplier(sparsity[i]);
            w.putFloat32Array(a + "activation_sparsity_scale", multipliers);
        }
    }

    /**
     * Phi-3's attention as llama.cpp's {@code phi3}: Q/K/V fused in {@code attn_qkv}, head size
     * hidden / heads, NeoX RoPE on the first {@code ropeDims} dims of each head, LongRoPE factor
     * sets ({@code rope_factors_long/short}, {@link #globals}) trained at {@code originalContext}
     * (0: no LongRoPE) with transformers' attention factor, and {@code attention.sliding_window}
     * (0: none). The synthetic long factors rise geometrically from 1 to context / original context
     * over the pairs, the short ones linearly from 1 to 1.25, roughly the shape of Phi-3-mini-128k's.
     */
    public record Phi3Attention(int heads, int kvHeads, int ropeDims, int originalContext, int window) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            long headDim = p.hidden() / heads;
            out.add(TensorSpec.norm(b + "attn_norm.weight", p.hidden()));
            out.add(TensorSpec.weight(b + "attn_qkv.weight", p.hidden(), (heads + 2L * kvHeads) * headDim));
            out.add(TensorSpec.weight(b + "attn_output.weight", heads * headDim, p.hidden()));
        }

        void globals(Preset p, List<TensorSpec> out) {
            if (originalContext == 0) return;
            out.add(new TensorSpec("rope_factors_long.weight", new long[]{ropeDims / 2}, Init.LONG_ROPE_FACTORS));
            out.add(new TensorSpec("rope_factors_short.weight", new long[]{ropeDims / 2}, Init.SHORT_ROPE_FACTORS));
        }

        /** Factor {@code i} of the set {@code set}. */
        float factor(Preset p, Init set, int i) {
            double t = ropeDims / 2 > 1 ? (double) i / (ropeDims / 2 - 1) : 0;
            double stretch = Math.max(1.0, (double) p.contextLength() / originalContext);
            return (float) (set == Init.LONG_ROPE_FACTORS ? Math.pow(stretch, t) : 1 + 0.25 * t);
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", kvHeads);
            w.putUInt32(a + "rope.dimension_count", ropeDims);
            w.putUInt32(a + "attention.sliding_window", window);
            if (originalContext == 0) return;
            w.putUInt32(a + "rope.scaling.original_context_length", originalContext);
            double scale = (double) p.contextLength() / originalContext;
            w.putFloat32(a + "rope.scaling.attn_factor", scale <= 1 ? 1f : (float) Math.sqrt(1 + Math.log(scale) / Math.log(originalContext)));
        }
    }

    /** Phi-3's SwiGLU with gate and up fused in one {@code ffn_up} of twice the width, gate rows first. */
    public record Phi3FeedForward(int size) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "ffn_norm.weight", p.hidden()));
            out.add(TensorSpec.weight(b + "ffn_up.weight", p.hidden(), 2L * size));
            out.add(TensorSpec.weight(b + "ffn_down.weight", size, p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            w.putUInt32(p.architecture() + ".feed_forward_length", size);
        }
    }

    /** Gemma's GeGLU block, normed before and after. */
    public record GemmaFeedForward(int size) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            new DenseFeedForward(size).tensors(p, layer, out);
            out.add(TensorSpec.norm("blk." + layer + ".post_ffw_norm.weight", p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            w.putUInt32(p.architecture() + ".feed_forward_length", size);
        }
    }

    /** A dense SwiGLU feed-forward block. */
    public record DenseFeedForward(int size) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "ffn_norm.weight", p.hidden()));
            out.add(TensorSpec.weight(b + "ffn_gate.weight", p.hidden(), size));
            out.add(TensorSpec.weight(b + "ffn_up.weight", p.hidden(), size));
            out.add(TensorSpec.weight(b + "ffn_down.weight", size, p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            w.putUInt32(p.architecture() + ".feed_forward_length", size);
        }
    }

    /**
     * DeepSeek's multi-head latent attention: q-LoRA when {@code qRank > 0}, a KV latent of
     * {@code kvRank} plus a decoupled RoPE key of {@code ropeDim}, split up-projections
     * ({@code attn_k_b}, {@code attn_v_b}) as llama.cpp's converter writes them.
     */
    public record LatentAttention(int heads, int qRank, int kvRank, int nope, int ropeDim, int vDim) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "attn_norm.weight", p.hidden()));
            if (qRank > 0) {
                out.add(TensorSpec.weight(b + "attn_q_a.weight", p.hidden(), qRank));
                out.add(TensorSpec.norm(b + "attn_q_a_norm.weight", qRank));
                out.add(TensorSpec.weight(b + "attn_q_b.weight", qRank, (long) heads * (nope + ropeDim)));
            } else {
                out.add(TensorSpec.weight(b + "attn_q.weight", p.hidden(), (long) heads * (nope + ropeDim)));
            }
            out.add(TensorSpec.weight(b + "attn_kv_a_mqa.weight", p.hidden(), kvRank + ropeDim));
            out.add(TensorSpec.norm(b + "attn_kv_a_norm.weight", kvRank));
            out.add(TensorSpec.experts(b + "attn_k_b.weight", nope, kvRank, heads));
            out.add(TensorSpec.experts(b + "attn_v_b.weight", kvRank, vDim, heads));
            out.add(TensorSpec.weight(b + "attn_output.weight", (long) heads * vDim, p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", 1);
            if (qRank > 0) w.putUInt32(a + "attention.q_lora_rank", qRank);
            w.putUInt32(a + "attention.kv_lora_rank", kvRank);
            w.putUInt32(a + "attention.key_length", kvRank + ropeDim);
            w.putUInt32(a + "attention.value_length", kvRank);
            w.putUInt32(a + "attention.key_length_mla", nope + ropeDim);
            w.putUInt32(a + "attention.value_length_mla", vDim);
            w.putUInt32(a + "rope.dimension_count", ropeDim);
        }
    }

    /**
     * DeepSeek-V4 attention with its mHC parameters: K=V single-head attention with sinks, grouped
     * output, per-layer kind from {@code ratios} (0 sliding window, 4 CSA with indexer, else HCA).
     */
    public record V4Attention(int heads, int headDim, int ropeDim, int qRank, int groups, int oRank, int window, int[] ratios,
                       int indexHeads, int indexDim, int indexTopK, int streams) implements Attention {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            long d = p.hidden();
            out.add(TensorSpec.norm(b + "attn_norm.weight", d));
            out.add(new TensorSpec(b + "attn_sinks.weight", new long[]{heads}, Init.ROUTER));
            out.add(TensorSpec.weight(b + "attn_q_a.weight", d, qRank));
            out.add(TensorSpec.norm(b + "attn_q_a_norm.weight", qRank));
            out.add(TensorSpec.weight(b + "attn_q_b.weight", qRank, (long) heads * headDim));
            out.add(TensorSpec.weight(b + "attn_kv.weight", d, headDim));
            out.add(TensorSpec.norm(b + "attn_kv_a_norm.weight", headDim));
            out.add(TensorSpec.weight(b + "attn_output_a.weight", (long) heads * headDim / groups, (long) groups * oRank));
            out.add(TensorSpec.weight(b + "attn_output_b.weight", (long) groups * oRank, d));
            hyperConnection(out, b + "hc_attn_", d);
            hyperConnection(out, b + "hc_ffn_", d);
            int ratio = ratios[layer];
            if (ratio == 0) return;
            boolean csa = ratio == 4;
            compressor(out, b + "attn_compressor_", d, csa ? 2L * headDim : headDim, headDim, ratio);
            if (csa) {
                compressor(out, b + "indexer_compressor_", d, 2L * indexDim, indexDim, ratio);
                out.add(TensorSpec.weight(b + "indexer.attn_q_b.weight", qRank, (long) indexHeads * indexDim));
                out.add(TensorSpec.weight(b + "indexer.proj.weight", d, indexHeads));
            }
        }

        private void hyperConnection(List<TensorSpec> out, String prefix, long d) {
            long mixes = (2L + streams) * streams;
            out.add(TensorSpec.router(prefix + "fn.weight", streams * d, mixes));
            out.add(new TensorSpec(prefix + "base.weight", new long[]{mixes}, Init.ROUTER));
            out.add(TensorSpec.norm(prefix + "scale.weight", 3));
        }

        private static void compressor(List<TensorSpec> out, String prefix, long d, long projected, long width, int ratio) {
            out.add(TensorSpec.weight(prefix + "kv.weight", d, projected));
            out.add(TensorSpec.weight(prefix + "gate.weight", d, projected));
            out.add(TensorSpec.router(prefix + "ape.weight", projected, ratio));
            out.add(TensorSpec.norm(prefix + "norm.weight", width));
        }

        /** The model-level mHC head. */
        void globals(Preset p, List<TensorSpec> out) {
            out.add(TensorSpec.router("output_hc_fn.weight", (long) streams * p.hidden(), streams));
            out.add(new TensorSpec("output_hc_base.weight", new long[]{streams}, Init.ROUTER));
            out.add(TensorSpec.norm("output_hc_scale.weight", 1));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", 1);
            w.putUInt32(a + "attention.key_length", headDim);
            w.putUInt32(a + "attention.value_length", headDim);
            w.putUInt32(a + "attention.q_lora_rank", qRank);
            w.putUInt32(a + "attention.sliding_window", window);
            w.putUInt32(a + "rope.dimension_count", ropeDim);
            w.putString(a + "rope.scaling.type", "yarn");
            w.putFloat32(a + "rope.scaling.factor", 16f);
            w.putUInt32(a + "rope.scaling.original_context_length", 65536);
            w.putFloat32(a + "attention.compress_rope_freq_base", 160000f);
            w.putInt32Array(a + "attention.compress_ratios", ratios);
            w.putUInt32(a + "attention.output_group_count", groups);
            w.putUInt32(a + "attention.output_lora_rank", oRank);
            w.putUInt32(a + "attention.indexer.head_count", indexHeads);
            w.putUInt32(a + "attention.indexer.key_length", indexDim);
            w.putUInt32(a + "attention.indexer.top_k", indexTopK);
            w.putUInt32(a + "hyper_connection.count", streams);
            w.putUInt32(a + "hyper_connection.sinkhorn_iterations", 20);
            w.putFloat32(a + "hyper_connection.epsilon", 1e-6f);
        }
    }

    /** DeepSeek-V4's MoE: sqrt-softplus routing with a selection bias, hash routing in the first layers, clamped SwiGLU. */
    public record V4MoeFeedForward(int experts, int used, int expertSize, int shared, int hashLayers, float clamp) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "ffn_norm.weight", p.hidden()));
            out.add(TensorSpec.router(b + "ffn_gate_inp.weight", p.hidden(), experts));
            if (layer < hashLayers) out.add(new TensorSpec(b + "ffn_gate_tid2eid.weight", new long[]{used, p.vocab().size()}, Init.EXPERT_IDS));
            else out.add(new TensorSpec(b + "exp_probs_b.bias", new long[]{experts}, Init.ROUTER));
            out.add(TensorSpec.experts(b + "ffn_gate_exps.weight", p.hidden(), expertSize, experts));
            out.add(TensorSpec.experts(b + "ffn_up_exps.weight", p.hidden(), expertSize, experts));
            out.add(TensorSpec.experts(b + "ffn_down_exps.weight", expertSize, p.hidden(), experts));
            for (int s = 0; s < shared; s++) {
                out.add(TensorSpec.weight(b + "ffn_gate_shexp.weight", p.hidden(), expertSize));
                out.add(TensorSpec.weight(b + "ffn_up_shexp.weight", p.hidden(), expertSize));
                out.add(TensorSpec.weight(b + "ffn_down_shexp.weight", expertSize, p.hidden()));
            }
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "expert_feed_forward_length", expertSize);
            w.putUInt32(a + "expert_count", experts);
            w.putUInt32(a + "expert_used_count", used);
            w.putUInt32(a + "expert_shared_count", shared);
            w.putUInt32(a + "hash_layer_count", hashLayers);
            w.putUInt32(a + "expert_gating_func", 4);
            w.putBool(a + "expert_weights_norm", true);
            w.putFloat32(a + "expert_weights_scale", 1.5f);
            float[] clamps = new float[p.layers()];
            java.util.Arrays.fill(clamps, clamp);
            w.putFloat32Array(a + "swiglu_clamp_exp", clamps);
        }
    }

    /**
     * A mixture-of-experts FFN: {@code experts} SwiGLU experts of width {@code expertSize}, top
     * {@code used}, {@code shared} always-on experts, after {@code leadingDense} dense layers of
     * width {@code denseSize}. {@code sigmoidRouting} selects DeepSeek-V3-style routing (sigmoid
     * scores, selection bias, renormalized); otherwise softmax top-k.
     */
    public record MoeFeedForward(int experts, int used, int expertSize, int shared, int leadingDense, int denseSize,
                          boolean sigmoidRouting) implements FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(TensorSpec.norm(b + "ffn_norm.weight", p.hidden()));
            if (layer < leadingDense) {
                out.add(TensorSpec.weight(b + "ffn_gate.weight", p.hidden(), denseSize));
                out.add(TensorSpec.weight(b + "ffn_up.weight", p.hidden(), denseSize));
                out.add(TensorSpec.weight(b + "ffn_down.weight", denseSize, p.hidden()));
                return;
            }
            out.add(TensorSpec.router(b + "ffn_gate_inp.weight", p.hidden(), experts));
            if (sigmoidRouting) out.add(new TensorSpec(b + "exp_probs_b.bias", new long[]{experts}, Init.ONES));
            out.add(TensorSpec.experts(b + "ffn_gate_exps.weight", p.hidden(), expertSize, experts));
            out.add(TensorSpec.experts(b + "ffn_up_exps.weight", p.hidden(), expertSize, experts));
            out.add(TensorSpec.experts(b + "ffn_down_exps.weight", expertSize, p.hidden(), experts));
            if (shared > 0) {
                out.add(TensorSpec.weight(b + "ffn_gate_shexp.weight", p.hidden(), (long) expertSize * shared));
                out.add(TensorSpec.weight(b + "ffn_up_shexp.weight", p.hidden(), (long) expertSize * shared));
                out.add(TensorSpec.weight(b + "ffn_down_shexp.weight", (long) expertSize * shared, p.hidden()));
            }
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "feed_forward_length", leadingDense > 0 ? denseSize : expertSize);
            w.putUInt32(a + "expert_feed_forward_length", expertSize);
            w.putUInt32(a + "expert_count", experts);
            w.putUInt32(a + "expert_used_count", used);
            if (shared > 0) w.putUInt32(a + "expert_shared_count", shared);
            if (leadingDense > 0) w.putUInt32(a + "leading_dense_block_count", leadingDense);
            if (sigmoidRouting) {
                w.putUInt32(a + "expert_gating_func", 2);
                w.putBool(a + "expert_weights_norm", true);
                w.putFloat32(a + "expert_weights_scale", 2.5f);
            }
        }
    }

    /**
     * A byte-level BPE vocabulary of {@code size} tokens (see {@link SynthVocab}); its special
     * tokens {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>} sit at
     * {@code specialBase} and the two ids after it, where Qwen's vocabulary has them.
     */
    public record Vocab(int size, String pre, int specialBase) {}

    /** All tensors in file order, following llama.cpp's converter: embeddings, blocks, output. */
    List<TensorSpec> tensors() {
        List<TensorSpec> out = new java.util.ArrayList<>();
        out.add(TensorSpec.weight("token_embd.weight", hidden, vocab.size()));
        if (attention instanceof Phi3Attention phi3) phi3.globals(this, out);
        if (attention instanceof BertAttention bert) {
            bert.globals(this, out);
            for (int l = 0; l < layers; l++) {
                attention.tensors(this, l, out);
                feedForward.tensors(this, l, out);
            }
            return out; // an encoder: no output norm or head
        }
        if (feedForward instanceof Gemma3nFeedForward g) g.globals(this, out);
        for (int l = 0; l < layers; l++) {
            attention.tensors(this, l, out);
            feedForward.tensors(this, l, out);
        }
        if (attention instanceof V4Attention v4) v4.globals(this, out);
        out.add(TensorSpec.norm("output_norm.weight", hidden));
        if (!tiedEmbeddings) out.add(TensorSpec.weight("output.weight", hidden, vocab.size()));
        return out;
    }

    /** The architecture's hyperparameters, under llama.cpp's key names. */
    void metadata(GgufWriter w) {
        String a = architecture + ".";
        w.putUInt32(a + "context_length", contextLength);
        w.putUInt32(a + "embedding_length", hidden);
        w.putUInt32(a + "block_count", layers);
        w.putUInt32(a + "vocab_size", vocab.size());
        w.putFloat32(a + "rope.freq_base", (float) ropeTheta);
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", (float) rmsEps);
        attention.metadata(this, w);
        feedForward.metadata(this, w);
    }
}
