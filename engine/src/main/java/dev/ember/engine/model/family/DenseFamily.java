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
 * The dense GQA + SwiGLU decoder shared by Llama, Mistral, Qwen2 and Qwen3. Each family states
 * only what differs: the RoPE layout, Q/K/V biases and per-head Q/K norms.
 */
final class DenseFamily {
    /** What differs between the families built here; {@code routing} is null for dense-only families. */
    record Variant(RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm, FeedForwards.RouterSpec routing) {
        Variant(RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm) {
            this(ropeLayout, qkvBias, qkNorm, null);
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
        DecoderBlock[] blocks = new DecoderBlock[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            GroupedQueryAttention attention = new GroupedQueryAttention(
                    w.matrix(b + "attn_q.weight", c.qDim(), c.dim()),
                    w.matrix(b + "attn_k.weight", c.kvDim(), c.dim()),
                    w.matrix(b + "attn_v.weight", c.vDim(), c.dim()),
                    w.matrix(b + "attn_output.weight", c.dim(), c.heads() * c.valueDim()),
                    variant.qkvBias() ? w.vector(b + "attn_q.bias", c.qDim()) : null,
                    variant.qkvBias() ? w.vector(b + "attn_k.bias", c.kvDim()) : null,
                    variant.qkvBias() ? w.vector(b + "attn_v.bias", c.vDim()) : null,
                    variant.qkNorm() ? w.rmsNorm(b + "attn_q_norm.weight", c.headDim(), c.rmsEps()) : null,
                    variant.qkNorm() ? w.rmsNorm(b + "attn_k_norm.weight", c.headDim(), c.rmsEps()) : null,
                    rope, c.heads(), c.kvHeads(), c.headDim(), c.valueDim());
            FeedForward ffn = FeedForwards.forLayer(w, c, i, variant.routing());
            blocks[i] = new DecoderBlock(w.rmsNorm(b + "attn_norm.weight", c.dim(), c.rmsEps()), attention,
                    w.rmsNorm(b + "ffn_norm.weight", c.dim(), c.rmsEps()), ffn);
        }
        // Tied embeddings: without output.weight the embedding matrix doubles as the output head.
        WeightMatrix output = w.has("output.weight") ? w.matrix("output.weight", c.vocabSize(), c.dim()) : w.matrix("token_embd.weight");
        String summary = Summaries.of(c, src);
        // A pooling type makes it an embedding model too (Qwen3-Embedding, gte-Qwen2, e5-mistral).
        EmbeddingSpec embedding = EmbeddingSpec.forDecoder(p, c.dim(), c.contextLength());
        if (embedding != null) summary += ", embeddings: last-token pooling" + (embedding.normalize() ? ", normalized" : "");
        return new Decoder(c, compute, w.table("token_embd.weight", c.vocabSize(), c.dim()), blocks,
                w.rmsNorm("output_norm.weight", c.dim(), c.rmsEps()), output, rope, summary).withEmbedding(embedding);
    }
}
