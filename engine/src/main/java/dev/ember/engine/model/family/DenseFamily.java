package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Decoder;
import dev.ember.engine.model.DecoderBlock;
import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.model.EmbeddingSpec;
import dev.ember.engine.model.FeedForward;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.GroupedQueryAttention;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * The dense GQA + SwiGLU decoder shared by Llama, Mistral, Qwen2, Qwen3 and Phi-3. Each family
 * states only what differs: the RoPE layout, Q/K/V biases, per-head Q/K norms and whether every
 * layer attends within {@code attention.sliding_window}. Q/K/V may come fused as one
 * {@code attn_qkv} and gate/up as one {@code ffn_up} of twice the width (Phi-3), as llama.cpp
 * accepts either form.
 */
final class DenseFamily {
    /**
     * What differs between the families built here; {@code routing} is null for dense-only
     * families. {@code slidingWindow}: every layer sees only the last {@code attention.sliding_window}
     * positions when the file gives one > 0 (transformers' Phi-3; llama.cpp ignores Phi-3's window).
     */
    record Variant(RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm, FeedForwards.RouterSpec routing, boolean slidingWindow) {
        Variant(RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm) {
            this(ropeLayout, qkvBias, qkNorm, null, false);
        }

        Variant(RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm, FeedForwards.RouterSpec routing) {
            this(ropeLayout, qkvBias, qkNorm, routing, false);
        }
    }

    private DenseFamily() {}

    static Decoder build(WeightSource src, Compute compute, Variant variant) {
        return build(src, compute, new ModelParams(src), variant);
    }

    static Decoder build(WeightSource src, Compute compute, ModelParams p, Variant variant) {
        ModelConfig c = DenseConfigs.read(p, variant.ropeLayout());
        Weights w = new Weights(src, compute.kernels());
        Rope rope = DenseConfigs.rope(c, w);
        int window = variant.slidingWindow() ? p.integer("attention.sliding_window", 0) : 0;
        var scoring = new GroupedQueryAttention.Scoring(null, 0f, Math.max(window, 0));
        DecoderBlock[] blocks = new DecoderBlock[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            WeightMatrix[] qkv = w.has(b + "attn_qkv.weight")
                    ? w.rowSplit(b + "attn_qkv.weight", c.dim(), c.qDim(), c.kvDim(), c.vDim())
                    : new WeightMatrix[]{w.matrix(b + "attn_q.weight", c.qDim(), c.dim()), w.matrix(b + "attn_k.weight", c.kvDim(), c.dim()),
                            w.matrix(b + "attn_v.weight", c.vDim(), c.dim())};
            GroupedQueryAttention attention = new GroupedQueryAttention(qkv[0], qkv[1], qkv[2],
                    w.matrix(b + "attn_output.weight", c.dim(), c.heads() * c.valueDim()),
                    variant.qkvBias() ? w.vector(b + "attn_q.bias", c.qDim()) : null,
                    variant.qkvBias() ? w.vector(b + "attn_k.bias", c.kvDim()) : null,
                    variant.qkvBias() ? w.vector(b + "attn_v.bias", c.vDim()) : null,
                    variant.qkNorm() ? w.rmsNorm(b + "attn_q_norm.weight", c.headDim(), c.rmsEps()) : null,
                    variant.qkNorm() ? w.rmsNorm(b + "attn_k_norm.weight", c.headDim(), c.rmsEps()) : null,
                    rope, c.heads(), c.kvHeads(), c.headDim(), c.valueDim(), scoring);
            FeedForward ffn = FeedForwards.forLayer(w, c, i, variant.routing());
            blocks[i] = new DecoderBlock(w.rmsNorm(b + "attn_norm.weight", c.dim(), c.rmsEps()), attention,
                    w.rmsNorm(b + "ffn_norm.weight", c.dim(), c.rmsEps()), ffn);
        }
        // Tied embeddings: without output.weight the embedding matrix doubles as the output head.
        WeightMatrix output = w.has("output.weight") ? w.matrix("output.weight", c.vocabSize(), c.dim()) : w.matrix("token_embd.weight");
        String summary = Summaries.of(c, src) + (window > 0 ? ", sliding window " + window : "");
        // A pooling type makes it an embedding model too (Qwen3-Embedding, gte-Qwen2, e5-mistral).
        EmbeddingSpec embedding = EmbeddingSpec.forDecoder(p, c.dim(), c.contextLength());
        if (embedding != null) summary += ", embeddings: last-token pooling" + (embedding.normalize() ? ", normalized" : "");
        return new Decoder(c, compute, w.table("token_embd.weight", c.vocabSize(), c.dim()), blocks,
                w.rmsNorm("output_norm.weight", c.dim(), c.rmsEps()), output, rope, summary).withEmbedding(embedding);
    }
}
