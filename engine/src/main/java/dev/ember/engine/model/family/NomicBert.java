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
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.List;
import java.util.Map;

/**
 * nomic-bert (nomic-embed-text v1/v1.5, llama.cpp's {@code nomic-bert}): BERT's post-norm encoder
 * without position embeddings: NeoX RoPE on Q and K instead, no biases, a SwiGLU feed-forward,
 * token types. Q, K and V come as one {@code attn_qkv} matrix (nomic's {@code Wqkv}, kept fused
 * by llama.cpp's converter and Ember's).
 * Its task prefixes ({@code search_query: }, {@code search_document: }) are part of the text.
 */
final class NomicBert implements ModelFamily {
    @Override public List<String> architectures() { return List.of("nomic-bert"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

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

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /**
     * nomic-bert as llama.cpp's {@code nomic-bert}, from nomic's own tensor names, which are what
     * the Hub has and what transformers 5 saves its native {@code NomicBertModel} as: the fused
     * {@code Wqkv} stays fused as {@code attn_qkv}; {@code fc11} is up and {@code fc12} the gate, as
     * llama.cpp maps them. No biases.
     */
    static final ArchTable HF = ArchTable.of("nomic-bert", List.of("NomicBertModel"), NomicBert::hfKeys)
            .layers(Map.ofEntries(
                    Map.entry("attn.Wqkv.weight", "attn_qkv.weight"), Map.entry("attn.out_proj.weight", "attn_output.weight"),
                    Map.entry("mlp.fc11.weight", "ffn_up.weight"), Map.entry("mlp.fc12.weight", "ffn_gate.weight"),
                    Map.entry("mlp.fc2.weight", "ffn_down.weight"),
                    Map.entry("norm1.weight", "attn_output_norm.weight"), Map.entry("norm1.bias", "attn_output_norm.bias"),
                    Map.entry("norm2.weight", "layer_output_norm.weight"), Map.entry("norm2.bias", "layer_output_norm.bias")))
            .globals(ArchTable.spellings(new String[][]{
                    {"token_embd.weight", "embeddings.word_embeddings.weight"},
                    {"token_types.weight", "embeddings.token_type_embeddings.weight"},
                    {"token_embd_norm.weight", "emb_ln.weight"},
                    {"token_embd_norm.bias", "emb_ln.bias"}}))
            .skip("pooler.", "embeddings.position_ids", "embeddings.token_type_ids").build();

    /**
     * NomicBertModel.set_gguf_parameters: as BERT's, with RoPE (rope.freq_base) and SwiGLU only;
     * from transformers' config keys or nomic's own ({@code n_embd}, ..., as on the Hub), whose
     * checks and 8192 → 2048 context fix follow llama.cpp's converter.
     */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        String a = "nomic-bert.";
        if (c.has("n_embd")) {
            m.u32(a + "block_count", c.integer("n_layer"));
            m.u32(a + "embedding_length", c.integer("n_embd"));
            m.u32(a + "feed_forward_length", c.integer("n_inner"));
            m.u32(a + "attention.head_count", c.integer("n_head"));
            long npos = c.integer("n_positions"), trained = c.integer("max_trained_positions", 2048);
            m.u32(a + "context_length", npos == 8192 && trained == 2048 ? 2048 : npos); // v1/v1.5 are trained for 2048
            m.f32(a + "rope.freq_base", c.has("rotary_emb_base") ? c.real("rotary_emb_base") : 1000.0);
            m.f32(a + "attention.layer_norm_epsilon", c.has("layer_norm_epsilon") ? c.real("layer_norm_epsilon") : 1e-12);
            if (!c.string("activation_function", "swiglu").equals("swiglu")) throw c.invalid("activation_function", "only 'swiglu' is supported");
            if (Boolean.TRUE.equals(c.raw("prenorm"))) throw c.invalid("prenorm", "only post-norm nomic-bert is supported");
            if (Boolean.TRUE.equals(c.raw("qkv_proj_bias")) || Boolean.TRUE.equals(c.raw("mlp_fc1_bias")) || Boolean.TRUE.equals(c.raw("mlp_fc2_bias"))) {
                throw c.invalid("qkv_proj_bias", "biases are not supported (nomic-embed-text v1/v1.5 have none)");
            }
            if (c.raw("rotary_emb_fraction") instanceof Number f && f.doubleValue() != 1.0) throw c.invalid("rotary_emb_fraction", "only 1.0 is supported");
            if (Boolean.TRUE.equals(c.raw("rotary_emb_interleaved"))) throw c.invalid("rotary_emb_interleaved", "only false (NeoX) is supported");
            if (c.raw("moe_every_n_layers") instanceof Long n && n > 0) throw c.invalid("moe_every_n_layers", "nomic-bert-moe is not supported");
        } else {
            CommonKeys.translate(c, m);
            m.f32(a + "attention.layer_norm_epsilon", c.has("layer_norm_eps") ? c.real("layer_norm_eps") : 1e-12);
        }
        m.bool(a + "attention.causal", false);
        m.u32("tokenizer.ggml.token_type_count", c.integer("type_vocab_size", 2));
        if (!m.asMap().containsKey(a + "rope.freq_base")) m.f32(a + "rope.freq_base", 1000.0); // NomicBertConfig's default theta
        String act = c.string("hidden_act", "silu");
        if (!act.equals("silu")) throw c.invalid("hidden_act", "only 'silu' (SwiGLU, nomic-embed-text's) is supported");
    }
}
