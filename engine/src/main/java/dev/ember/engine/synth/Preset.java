package dev.ember.engine.synth;

import dev.ember.engine.gguf.GgufWriter;

import java.util.List;

/**
 * The shape of a synthetic model, as data: everything that decides its tensors and metadata. A
 * model is a composition of parts (attention, feed-forward, vocabulary); each part lists its own
 * tensors and writes its own metadata, so a new family adds presets and, where its structure is
 * its own, parts, rather than a new generator. Families declare both beside their class
 * ({@link dev.ember.engine.model.family.ModelFamily#synthPresets}); the parts several families
 * share (GQA, dense and MoE feed-forwards, Gemma's) are here.
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
     * routers and DeepSeek-V4's mHC parameters; COMPUTED tensors carry their own values (F32, e.g.
     * Phi-3's LongRoPE factor sets), COMPUTED_I32 too, stored as I32 (DeepSeek-V4's hash-routing
     * table of expert ids).
     */
    public enum Init { NORMAL, ONES, ROUTER, COMPUTED, COMPUTED_I32 }

    /**
     * One tensor of the model; {@code shape} is in GGML order (row length first); {@code values}
     * gives the rows of a COMPUTED tensor and is null otherwise.
     */
    public record TensorSpec(String name, long[] shape, Init init, GgufWriter.FloatRows values) {
        public TensorSpec {
            if ((values != null) != (init == Init.COMPUTED || init == Init.COMPUTED_I32)) {
                throw new IllegalArgumentException(name + ": values are given exactly for computed tensors");
            }
        }

        public TensorSpec(String name, long[] shape, Init init) { this(name, shape, init, null); }

        public static TensorSpec weight(String name, long rowLength, long rows) { return new TensorSpec(name, new long[]{rowLength, rows}, Init.NORMAL); }
        public static TensorSpec norm(String name, long length) { return new TensorSpec(name, new long[]{length}, Init.ONES); }
        public static TensorSpec experts(String name, long rowLength, long rows, long experts) {
            return new TensorSpec(name, new long[]{rowLength, rows, experts}, Init.NORMAL);
        }
        public static TensorSpec router(String name, long rowLength, long experts) { return new TensorSpec(name, new long[]{rowLength, experts}, Init.ROUTER); }
    }

    /**
     * A part that contributes tensors to each block and keys to the metadata, and may add tensors
     * outside the blocks. Families with a structure of their own declare their parts beside their
     * class; the common ones are here.
     */
    public interface Part {
        void tensors(Preset p, int layer, List<TensorSpec> out);

        void metadata(Preset p, GgufWriter w);

        /** Tensors outside the blocks, written after {@code token_embd} (learned positions, LongRoPE factors, per-layer tables). */
        default void leadingTensors(Preset p, List<TensorSpec> out) {}

        /** Tensors outside the blocks, written after them and before {@code output_norm} (DeepSeek-V4's mHC head). */
        default void trailingTensors(Preset p, List<TensorSpec> out) {}
    }

    public interface Attention extends Part {
        /** An encoder's (bidirectional) attention: the model ends with its last block, without output norm or head (BERT). */
        default boolean encoder() { return false; }
    }

    public interface FeedForward extends Part {}

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
        attention.leadingTensors(this, out);
        feedForward.leadingTensors(this, out);
        for (int l = 0; l < layers; l++) {
            attention.tensors(this, l, out);
            feedForward.tensors(this, l, out);
        }
        attention.trailingTensors(this, out);
        feedForward.trailingTensors(this, out);
        if (attention.encoder()) return out;
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
