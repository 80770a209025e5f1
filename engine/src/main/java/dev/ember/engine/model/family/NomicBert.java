package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.EmbeddingSpec;
import dev.ember.engine.model.Encoder;
import dev.ember.engine.model.LayerNorm;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Pooling;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * nomic-bert (nomic-embed-text v1/v1.5, llama.cpp's {@code nomic-bert}): BERT's post-norm encoder
 * without position embeddings: NeoX RoPE on Q and K instead, no biases, a SwiGLU feed-forward,
 * token types. Q, K and V come as one {@code attn_qkv} matrix (nomic's {@code Wqkv}, kept fused
 * by llama.cpp's converter and Ember's).
 * Its task prefixes ({@code search_query: }, {@code search_document: }) are part of the text.
 */
final class NomicBert implements ModelFamily {
    @Override public List<String> architectures() { return List.of("nomic-bert"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        if (p.bool("attention.causal", false)) throw new ModelLoadException(src.origin() + ": a causal nomic-bert is not supported");
        if (p.integer("moe_every_n_layers", 0) > 0) {
            throw new ModelLoadException(src.origin() + ": nomic-bert-moe (nomic-embed-text-v2-moe) is not supported; use nomic-embed-text v1/v1.5");
        }
        Weights w = new Weights(src, compute.kernels());
        int dim = p.integer("embedding_length");
        int layers = p.integer("block_count");
        int heads = p.integer("attention.head_count");
        int ffn = p.integer("feed_forward_length");
        int context = p.integer("context_length");
        float eps = (float) p.real("attention.layer_norm_epsilon", 1e-12);
        double theta = p.real("rope.freq_base", 1000);
        WeightMatrix tokens = src.tensor("token_embd.weight").asMatrix();
        int vocab = tokens.rows();
        if (dim % heads != 0) throw new ModelLoadException(src.origin() + ": embedding length " + dim + " is not a multiple of the head count " + heads);
        int hd = dim / heads;
        ModelConfig c = new ModelConfig("nomic-bert", vocab, dim, layers, heads, heads, hd, hd, ffn, eps, context, theta,
                hd, RopeLayout.NEOX, RopeScaling.NONE);
        w.table("token_embd.weight", vocab, dim);
        float[] type0 = new float[dim];
        if (w.has("token_types.weight")) w.dequantizeRow(src.tensor("token_types.weight").asMatrix(), 0, type0);
        Encoder.Block[] blocks = new Encoder.Block[layers];
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            WeightMatrix[] qkv = w.rowSplit(b + "attn_qkv.weight", dim, dim, dim, dim);
            blocks[i] = new Encoder.Block(qkv[0], null, qkv[1], null, qkv[2], null,
                    w.matrix(b + "attn_output.weight", dim, dim), w.optionalVector(b + "attn_output.bias", dim),
                    norm(w, b + "attn_output_norm", dim, eps),
                    w.matrix(b + "ffn_gate.weight", ffn, dim), w.matrix(b + "ffn_up.weight", ffn, dim), w.optionalVector(b + "ffn_up.bias", ffn),
                    w.matrix(b + "ffn_down.weight", dim, ffn), w.optionalVector(b + "ffn_down.bias", dim),
                    norm(w, b + "layer_output_norm", dim, eps));
        }
        EmbeddingSpec spec = EmbeddingSpec.read(p, dim, context, Pooling.MEAN);
        String summary = "nomic-bert encoder, " + layers + " layers, dim " + dim + ", " + heads + " heads, ffn " + ffn + " (SwiGLU), vocab " + vocab
                + ", rope theta " + theta + ", " + spec.pooling().name().toLowerCase() + " pooling" + (spec.normalize() ? ", normalized" : "")
                + " (" + src.origin() + ")";
        Rope rope = new Rope(hd, theta, RopeLayout.NEOX, RopeScaling.NONE, null);
        return new Encoder(c, compute, tokens, null, rope, type0, norm(w, "token_embd_norm", dim, eps), blocks, spec, summary);
    }

    private static LayerNorm norm(Weights w, String name, int dim, float eps) {
        return new LayerNorm(w.vector(name + ".weight", dim), w.vector(name + ".bias", dim), eps);
    }
}
