package dev.ember.engine.model.family;

import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.EmbeddingSpec;
import dev.ember.engine.model.Encoder;
import dev.ember.engine.model.LayerNorm;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Pooling;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.List;
import java.util.Map;

/**
 * BERT (llama.cpp's {@code bert}): post-norm encoder with learned absolute positions, token
 * types (every input is segment 0, as for sentence embeddings), biases everywhere and erf GELU.
 */
final class Bert implements ModelFamily {
    @Override public List<String> architectures() { return List.of("bert"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        if (p.bool("attention.causal", false)) throw new ModelLoadException(src.origin() + ": a causal bert is not supported");
        Weights w = new Weights(src, compute.kernels());
        int dim = p.integer("embedding_length");
        int layers = p.integer("block_count");
        int heads = p.integer("attention.head_count");
        int ffn = p.integer("feed_forward_length");
        float eps = (float) p.real("attention.layer_norm_epsilon", 1e-12);
        WeightMatrix tokens = src.tensor("token_embd.weight").asMatrix();
        WeightMatrix positions = w.table("position_embd.weight", p.integer("context_length"), dim);
        int vocab = tokens.rows();
        if (dim % heads != 0) throw new ModelLoadException(src.origin() + ": embedding length " + dim + " is not a multiple of the head count " + heads);
        int hd = dim / heads;
        ModelConfig c = new ModelConfig("bert", vocab, dim, layers, heads, heads, hd, hd, ffn, eps, positions.rows(), 10000,
                hd % 2 == 0 ? hd : hd - 1, RopeLayout.NORMAL, RopeScaling.NONE);
        w.table("token_embd.weight", vocab, dim);
        float[] type0 = new float[dim];
        if (w.has("token_types.weight")) w.dequantizeRow(src.tensor("token_types.weight").asMatrix(), 0, type0);
        Encoder.Block[] blocks = new Encoder.Block[layers];
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            blocks[i] = new Encoder.Block(
                    w.matrix(b + "attn_q.weight", dim, dim), w.vector(b + "attn_q.bias", dim),
                    w.matrix(b + "attn_k.weight", dim, dim), w.vector(b + "attn_k.bias", dim),
                    w.matrix(b + "attn_v.weight", dim, dim), w.vector(b + "attn_v.bias", dim),
                    w.matrix(b + "attn_output.weight", dim, dim), w.vector(b + "attn_output.bias", dim),
                    norm(w, b + "attn_output_norm", dim, eps),
                    null, w.matrix(b + "ffn_up.weight", ffn, dim), w.vector(b + "ffn_up.bias", ffn),
                    w.matrix(b + "ffn_down.weight", dim, ffn), w.vector(b + "ffn_down.bias", dim),
                    norm(w, b + "layer_output_norm", dim, eps));
        }
        EmbeddingSpec spec = EmbeddingSpec.read(p, dim, positions.rows(), Pooling.CLS);
        String summary = "bert encoder, " + layers + " layers, dim " + dim + ", " + heads + " heads, ffn " + ffn + ", vocab " + vocab
                + ", " + spec.pooling().name().toLowerCase() + " pooling" + (spec.normalize() ? ", normalized" : "") + " (" + src.origin() + ")";
        return new Encoder(c, compute, tokens, positions, null, type0, norm(w, "token_embd_norm", dim, eps), blocks, spec, summary);
    }

    private static LayerNorm norm(Weights w, String name, int dim, float eps) {
        return new LayerNorm(w.vector(name + ".weight", dim), w.vector(name + ".bias", dim), eps);
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /** BERT as llama.cpp's {@code bert} (BertModel's names; a {@code bert.} prefix is accepted, as the converter does). */
    static final ArchTable HF = ArchTable.of("bert", List.of("BertModel", "BertForMaskedLM"), Bert::hfKeys)
            .layers(Map.ofEntries(
                    Map.entry("attention.self.query.weight", "attn_q.weight"), Map.entry("attention.self.query.bias", "attn_q.bias"),
                    Map.entry("attention.self.key.weight", "attn_k.weight"), Map.entry("attention.self.key.bias", "attn_k.bias"),
                    Map.entry("attention.self.value.weight", "attn_v.weight"), Map.entry("attention.self.value.bias", "attn_v.bias"),
                    Map.entry("attention.output.dense.weight", "attn_output.weight"), Map.entry("attention.output.dense.bias", "attn_output.bias"),
                    Map.entry("attention.output.LayerNorm.weight", "attn_output_norm.weight"),
                    Map.entry("attention.output.LayerNorm.bias", "attn_output_norm.bias"),
                    Map.entry("intermediate.dense.weight", "ffn_up.weight"), Map.entry("intermediate.dense.bias", "ffn_up.bias"),
                    Map.entry("output.dense.weight", "ffn_down.weight"), Map.entry("output.dense.bias", "ffn_down.bias"),
                    Map.entry("output.LayerNorm.weight", "layer_output_norm.weight"), Map.entry("output.LayerNorm.bias", "layer_output_norm.bias")))
            .globals(ArchTable.spellings(new String[][]{
                    {"token_embd.weight", "embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight"},
                    {"position_embd.weight", "embeddings.position_embeddings.weight", "bert.embeddings.position_embeddings.weight"},
                    {"token_types.weight", "embeddings.token_type_embeddings.weight", "bert.embeddings.token_type_embeddings.weight"},
                    {"token_embd_norm.weight", "embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.weight"},
                    {"token_embd_norm.bias", "embeddings.LayerNorm.bias", "bert.embeddings.LayerNorm.bias"}}))
            .skip("pooler.", "bert.pooler.", "embeddings.position_ids", "bert.embeddings.position_ids", "cls.").build();

    /** BertModel.set_gguf_parameters: LayerNorm epsilon, bidirectional attention, token types; GELU only. */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "bert.";
        m.f32(a + "attention.layer_norm_epsilon", c.has("layer_norm_eps") ? c.real("layer_norm_eps") : 1e-12);
        m.bool(a + "attention.causal", false);
        m.u32("tokenizer.ggml.token_type_count", c.integer("type_vocab_size", 2));
        String act = c.string("hidden_act", "gelu");
        if (!act.equals("gelu")) throw c.invalid("hidden_act", "only 'gelu' (erf GELU, BERT's) is supported");
        String pos = c.string("position_embedding_type", "absolute");
        if (!pos.equals("absolute")) throw c.invalid("position_embedding_type", "only 'absolute' is supported");
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // BERT-base's shape (bert-base-uncased, as in bge-base / all-mpnet-sized embedders): 12 layers
            // of 768 with 12 heads, FFN 3072, 512 positions, a 30522-token vocabulary (synthetic BPE
            // here); an encoder, so embeddings only (CLS pooling unless synth --pooling says otherwise).
            new Preset("bert-base", "bert", 768, 12, 512, 10000, 1e-12, true, 0.02,
                    new SynthAttention(12), new SynthFeedForward(3072),
                    new Preset.Vocab(30522, "qwen2", 30000)));

    /**
     * BERT's post-norm multi-head attention with biases, as llama.cpp's {@code bert}: the blocks'
     * LayerNorm comes after the branch; the embeddings have learned positions, token types and a
     * LayerNorm ({@link #leadingTensors}), and there is no output norm or head. Biases and norms are ones.
     */
    record SynthAttention(int heads) implements Preset.Attention {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            for (String m : new String[]{"attn_q", "attn_k", "attn_v", "attn_output"}) {
                out.add(Preset.TensorSpec.weight(b + m + ".weight", p.hidden(), p.hidden()));
                out.add(Preset.TensorSpec.norm(b + m + ".bias", p.hidden()));
            }
            out.add(Preset.TensorSpec.norm(b + "attn_output_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.norm(b + "attn_output_norm.bias", p.hidden()));
        }

        @Override
        public boolean encoder() { return true; }

        @Override
        public void leadingTensors(Preset p, List<Preset.TensorSpec> out) {
            out.add(Preset.TensorSpec.weight("position_embd.weight", p.hidden(), p.contextLength()));
            out.add(Preset.TensorSpec.weight("token_types.weight", p.hidden(), 2));
            out.add(Preset.TensorSpec.norm("token_embd_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.norm("token_embd_norm.bias", p.hidden()));
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
    record SynthFeedForward(int size) implements Preset.FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(Preset.TensorSpec.weight(b + "ffn_up.weight", p.hidden(), size));
            out.add(Preset.TensorSpec.norm(b + "ffn_up.bias", size));
            out.add(Preset.TensorSpec.weight(b + "ffn_down.weight", size, p.hidden()));
            out.add(Preset.TensorSpec.norm(b + "ffn_down.bias", p.hidden()));
            out.add(Preset.TensorSpec.norm(b + "layer_output_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.norm(b + "layer_output_norm.bias", p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            w.putUInt32(p.architecture() + ".feed_forward_length", size);
        }
    }
}
