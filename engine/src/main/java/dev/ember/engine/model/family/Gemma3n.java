package dev.ember.engine.model.family;

import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.model.GeGlu;
import dev.ember.engine.model.GroupedQueryAttention;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.model.gemma3n.AltUp;
import dev.ember.engine.model.gemma3n.Gemma3nBlock;
import dev.ember.engine.model.gemma3n.Gemma3nDecoder;
import dev.ember.engine.model.gemma3n.Laurel;
import dev.ember.engine.model.gemma3n.PerLayerInputs;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Gemma 3n, text only (llama.cpp's {@code gemma3n}; transformers' {@code Gemma3nForCausalLM}):
 * Gemma 3's attention (Q/K norms, local layers with their own RoPE base, a window on the sliding
 * layers) with the query scale 1 and values RMS-normed too, Gemma's four block norms and GeGLU,
 * scaled embeddings and soft-capped logits, plus what is Gemma 3n's own, in {@code model.gemma3n}:
 * AltUp residual streams, LAuReL, per-layer inputs, activation sparsity on the early layers, and
 * cross-layer KV sharing: the last {@code attention.shared_kv_layers} layers read the cache of the
 * last earlier layer of their type and keep none of their own. Norm weights are used as stored
 * (Gemma 3n's RMSNorm scales by w, not 1 + w).
 */
final class Gemma3n implements ModelFamily {
    /** llama.cpp's default pattern: four sliding layers, then a full one. */
    private static final int DEFAULT_PERIOD = 5;

    @Override public List<String> architectures() { return List.of("gemma3n"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        ModelConfig c = DenseConfigs.read(p, RopeLayout.NEOX);
        Weights w = new Weights(src, compute.kernels());
        int layers = c.layers(), dim = c.dim(), hd = c.headDim();
        float eps = c.rmsEps();
        Rope global = DenseConfigs.rope(c, w);
        Rope local = new Rope(c.ropeDims(), p.real("rope.freq_base_swa", 10000.0), RopeLayout.NEOX, RopeScaling.NONE, null);
        int window = p.integer("attention.sliding_window", 512);
        boolean[] sliding = slidingLayers(p, layers);
        int[] kvFrom = kvSources(sliding, p.integer("attention.shared_kv_layers", 0), src);
        int[] ffn = p.perLayer("feed_forward_length", layers, c.ffnDim());
        float[] sparsity = p.reals("activation_sparsity_scale", layers);
        int streams = p.count("altup.num_inputs", 4);
        int active = p.integer("altup.active_idx", 0);
        if (active < 0 || active >= streams) throw new ModelLoadException(src.origin() + ": altup.active_idx " + active + " is not below altup.num_inputs " + streams);
        int width = p.count("embedding_length_per_layer_input", 256);
        // Q and K are RMS-normed, so Gemma 3n scores with scale 1 (llama.cpp's f_attention_scale).
        float scale = (float) p.real("attention.scale", 1.0);
        float[] ones = new float[hd];
        Arrays.fill(ones, 1f);
        RmsNorm valueNorm = new RmsNorm(ones, eps);

        Gemma3nBlock[] blocks = new Gemma3nBlock[layers];
        int shared = 0;
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            boolean own = kvFrom[i] < 0;
            if (!own) shared++;
            var scoring = new GroupedQueryAttention.Scoring(scale, 0f, sliding[i] ? window : 0, sliding[i]);
            var attention = new GroupedQueryAttention(
                    w.matrix(b + "attn_q.weight", c.qDim(), dim),
                    own ? w.matrix(b + "attn_k.weight", c.kvDim(), dim) : null,
                    own ? w.matrix(b + "attn_v.weight", c.kvDim(), dim) : null,
                    w.matrix(b + "attn_output.weight", dim, c.qDim()),
                    w.rmsNorm(b + "attn_q_norm.weight", hd, eps),
                    own ? w.rmsNorm(b + "attn_k_norm.weight", hd, eps) : null,
                    valueNorm, kvFrom[i], sliding[i] ? local : global, c.heads(), c.kvHeads(), hd, scoring);
            float multiplier = sparsity == null ? Float.NEGATIVE_INFINITY : sparsity[i];
            var mlp = new GeGlu(w.matrix(b + "ffn_gate.weight", ffn[i], dim), w.matrix(b + "ffn_up.weight", ffn[i], dim),
                    w.matrix(b + "ffn_down.weight", dim, ffn[i]), multiplier);
            var altUp = new AltUp(w.rmsNorm(b + "altup_router_norm.weight", dim, eps),
                    w.vector(b + "altup_router.weight", streams * dim),
                    w.vector(b + "altup_predict_coef.weight", streams * streams * streams),
                    w.vector(b + "altup_correct_coef.weight", streams * streams),
                    w.optionalVector(b + "altup_correct_scale.weight", dim), streams, active, dim);
            int rank = src.tensor(b + "laurel_l.weight").rows();
            var laurel = new Laurel(w.matrix(b + "laurel_l.weight", rank, dim),
                    w.matrix(b + "laurel_r.weight", dim, rank), w.rmsNorm(b + "laurel_post_norm.weight", dim, eps));
            blocks[i] = new Gemma3nBlock(altUp, w.rmsNorm(b + "attn_norm.weight", dim, eps), laurel, attention,
                    w.rmsNorm(b + "post_attention_norm.weight", dim, eps), w.rmsNorm(b + "ffn_norm.weight", dim, eps), mlp,
                    w.rmsNorm(b + "post_ffw_norm.weight", dim, eps),
                    w.matrix(b + "inp_gate.weight", width, dim), w.matrix(b + "proj.weight", dim, width),
                    w.rmsNorm(b + "post_norm.weight", dim, eps));
        }
        WeightMatrix table = src.tensor("per_layer_token_embd.weight").asMatrix();
        if (table.cols() != layers * width || table.rows() > c.vocabSize()) {
            throw new ModelLoadException(src.origin() + ": tensor 'per_layer_token_embd.weight' is " + table.rows() + "x" + table.cols()
                    + ", expected at most " + c.vocabSize() + " rows of " + layers + " layers x " + width);
        }
        var perLayer = new PerLayerInputs(table, w.matrix("per_layer_model_proj.weight", layers * width, dim),
                w.rmsNorm("per_layer_proj_norm.weight", width, eps), layers, width);
        WeightMatrix output = w.has("output.weight") ? w.matrix("output.weight", c.vocabSize(), dim) : w.matrix("token_embd.weight");
        float softcap = (float) p.real("final_logit_softcapping", 30.0);
        long sparse = Arrays.stream(blocks).filter(b -> b.ffn().sparse()).count();
        String summary = Summaries.of(c, src) + String.format(
                ", altup %d (active %d), laurel rank %d, per-layer input %d, sliding window %d, KV shared by the last %d layers, sparse FFN on %d, softcap %.0f",
                streams, active, blocks[0].laurel().left().rows(), width, window, shared, sparse, softcap);
        return new Gemma3nDecoder(c, compute, w.table("token_embd.weight", c.vocabSize(), dim), perLayer,
                stacked(w, src.tensor("altup_proj.weight"), streams - 1, dim), stacked(w, src.tensor("altup_unembd_proj.weight"), streams - 1, dim),
                blocks, w.rmsNorm("output_norm.weight", dim, eps), output, global, softcap, summary);
    }

    /** The {@code count} {@code dim × dim} matrices of a stacked 3-D tensor, as llama.cpp's converter stacks the AltUp projections. */
    private static WeightMatrix[] stacked(Weights w, Tensor t, int count, int dim) {
        if (t.shape().length != 3 || t.shape()[0] != dim || t.shape()[1] != dim || t.shape()[2] != count) {
            throw new ModelLoadException(w.source().origin() + ": tensor '" + t.name() + "' is " + Arrays.toString(t.shape())
                    + ", expected [" + dim + ", " + dim + ", " + count + "]");
        }
        WeightMatrix[] out = new WeightMatrix[count];
        for (int i = 0; i < count; i++) out[i] = w.prepare(t.slice(i));
        return out;
    }

    /**
     * Which layers slide: {@code attention.sliding_window_pattern} as llama.cpp's converter writes
     * it for gemma3n (a bool per layer), or as a period (period - 1 sliding layers, then a full one).
     */
    private static boolean[] slidingLayers(ModelParams p, int layers) {
        boolean[] flags = p.bools("attention.sliding_window_pattern", layers);
        if (flags != null) return flags;
        int period = p.integer("attention.sliding_window_pattern", DEFAULT_PERIOD);
        boolean[] out = new boolean[layers];
        for (int i = 0; i < layers; i++) out[i] = period > 0 && i % period < period - 1;
        return out;
    }

    /**
     * Per layer, the layer whose cached keys and values it reads, or -1 for its own: as
     * transformers' {@code Gemma3nTextAttention}, each of the last {@code shared} layers reads the
     * last layer of the same type (sliding or full) before the shared range, and nothing is shared
     * when the range would start at layer 0.
     */
    static int[] kvSources(boolean[] sliding, int shared, WeightSource src) {
        int layers = sliding.length;
        int first = layers - shared;
        int[] out = new int[layers];
        Arrays.fill(out, -1);
        if (shared < 0 || shared > layers) throw new ModelLoadException(src.origin() + ": attention.shared_kv_layers " + shared + " is not in [0, " + layers + "]");
        if (first <= 0) return out;
        for (int i = first; i < layers; i++) {
            for (int j = first - 1; j >= 0 && out[i] < 0; j--) if (sliding[j] == sliding[i]) out[i] = j;
            if (out[i] < 0) {
                throw new ModelLoadException(src.origin() + ": layer " + i + " shares KV, but no earlier layer is " + (sliding[i] ? "sliding" : "full")
                        + " (attention.shared_kv_layers " + shared + ")");
            }
        }
        return out;
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /** Gemma 3n's own layer tensors: AltUp, LAuReL and the per-layer input gate (gguf-py's tensor_mapping). */
    private static final Map<String, String> GEMMA3N_LAYER = Map.ofEntries(
            Map.entry("altup.correct_output_scale", "altup_correct_scale.weight"),
            Map.entry("altup.correction_coefs.weight", "altup_correct_coef.weight"),
            Map.entry("altup.prediction_coefs.weight", "altup_predict_coef.weight"),
            Map.entry("altup.modality_router.weight", "altup_router.weight"),
            Map.entry("altup.router_norm.weight", "altup_router_norm.weight"),
            Map.entry("laurel.linear_left.weight", "laurel_l.weight"),
            Map.entry("laurel.linear_right.weight", "laurel_r.weight"),
            Map.entry("laurel.post_laurel_norm.weight", "laurel_post_norm.weight"),
            Map.entry("per_layer_input_gate.weight", "inp_gate.weight"),
            Map.entry("per_layer_projection.weight", "proj.weight"),
            Map.entry("post_per_layer_input_norm.weight", "post_norm.weight"));

    /**
     * Gemma 3n's text decoder as llama.cpp's {@code gemma3n}: norms as stored (no shift), the
     * per-layer embedding table, projection and norm, and the AltUp projections stacked into
     * {@code altup_proj} / {@code altup_unembd_proj}. KV-shared layers have no K/V projections or
     * K norm in a transformers checkpoint, and none are written. The multimodal class's language
     * model is not mapped.
     */
    static final ArchTable HF = ArchTable.of("gemma3n", List.of("Gemma3nForCausalLM"), Gemma3n::hfKeys)
            .layers(ArchTable.merge(HfNames.GEMMA_NORMS, HfNames.GQA, HfNames.QK_NORM, HfNames.DENSE_FFN, GEMMA3N_LAYER))
            .globals(ArchTable.merge(HfNames.GEMMA_GLOBALS, Map.of(
                    "model.embed_tokens_per_layer.weight", "per_layer_token_embd.weight",
                    "model.per_layer_model_projection.weight", "per_layer_model_proj.weight",
                    "model.per_layer_projection_norm.weight", "per_layer_proj_norm.weight")))
            .skip("lm_head.")
            .stackedGlobals(Map.of("model.altup_projections.", "altup_proj.weight", "model.altup_unembed_projections.", "altup_unembd_proj.weight"))
            .build();

    /**
     * Gemma3NModel.set_gguf_parameters: Gemma 3's keys (final soft-cap, window, the sliding layers'
     * RoPE base), the AltUp and per-layer input sizes, the KV-shared layer count, the per-layer
     * activation sparsity as the normal quantile of each layer's target (negative infinity for a
     * dense layer) and the sliding pattern as a bool per layer. The query scale is 1, as llama.cpp
     * fixes it, so none is written.
     */
    @SuppressWarnings("unchecked")
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gemma3n.";
        int layers = Math.toIntExact(c.integer("num_hidden_layers"));
        if (c.raw("final_logit_softcapping") instanceof Number f) m.f32(a + "final_logit_softcapping", f.doubleValue());
        m.u32(a + "attention.sliding_window", c.integer("sliding_window", 512));
        Object local = c.raw("rope_parameters") instanceof Map<?, ?> rp && rp.get("sliding_attention") instanceof Map<?, ?> sl
                ? ((Map<String, Object>) sl).get("rope_theta") : c.raw("rope_local_base_freq");
        m.f32(a + "rope.freq_base_swa", local instanceof Number n ? n.doubleValue() : 10000.0);
        long streams = c.integer("altup_num_inputs", 4);
        long active = c.integer("altup_active_idx", 0);
        if (streams < 2 || active < 0 || active >= streams) throw c.invalid("altup_active_idx", "must be below altup_num_inputs = " + streams);
        m.u32(a + "altup.active_idx", active);
        m.u32(a + "altup.num_inputs", streams);
        m.u32(a + "embedding_length_per_layer_input", c.integer("hidden_size_per_layer_input", 256));
        long shared = c.integer("num_kv_shared_layers", 15);
        if (shared < 0 || shared > layers) throw c.invalid("num_kv_shared_layers", "must be between 0 and num_hidden_layers = " + layers);
        m.u32(a + "attention.shared_kv_layers", shared);
        double[] multipliers = new double[layers];
        if (c.raw("activation_sparsity_pattern") instanceof List<?> pattern) {
            if (pattern.size() != layers) throw c.invalid("activation_sparsity_pattern", "has " + pattern.size() + " values for " + layers + " layers");
            for (int i = 0; i < layers; i++) {
                if (!(pattern.get(i) instanceof Number s) || !(s.doubleValue() >= 0 && s.doubleValue() < 1)) {
                    throw c.invalid("activation_sparsity_pattern", "value " + i + " is not a sparsity in [0, 1)");
                }
                multipliers[i] = dev.ember.engine.model.GaussianTopK.stdMultiplier((float) s.doubleValue());
            }
        } else { // Gemma3nTextConfig's default: the first 10 layers at 0.95 when there are more than 10
            for (int i = 0; i < layers; i++) multipliers[i] = dev.ember.engine.model.GaussianTopK.stdMultiplier(layers > 10 && i < 10 ? 0.95f : 0.0);
        }
        m.f32s(a + "activation_sparsity_scale", multipliers);
        boolean[] sliding = new boolean[layers];
        if (c.raw("layer_types") instanceof List<?> types) {
            if (types.size() != layers) throw c.invalid("layer_types", "has " + types.size() + " values for " + layers + " layers");
            for (int i = 0; i < layers; i++) {
                Object t = types.get(i);
                if (!"sliding_attention".equals(t) && !"full_attention".equals(t)) throw c.invalid("layer_types", "layer " + i + " is " + t);
                sliding[i] = "sliding_attention".equals(t);
            }
        } else { // Gemma3nTextConfig's default: every fifth layer full
            for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % 5 != 0;
        }
        m.bools(a + "attention.sliding_window_pattern", sliding);
        HfNames.requireGeluTanh(c);
        if (!c.bool("altup_correct_scale", true)) throw c.invalid("altup_correct_scale", "only true is supported, as in llama.cpp");
        if (c.bool("attention_bias", false)) throw c.invalid("attention_bias", "Gemma 3n has no attention biases");
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // Gemma 3n E2B's text shapes (config.json of google/gemma-3n-E2B: hidden 2048, 8 heads, 2 KV
            // heads of 256, FFN 8192, per-layer inputs 256 wide, LAuReL rank 64, 4 AltUp streams, window
            // 512, four sliding layers to one full, sparsity 0.95 on the first 10 layers, a third of the
            // layers sharing KV), at 15 of its 30 layers: its per-layer embedding table alone is
            // 262144 x (256 per layer) values, 2.0B at full depth.
            new Preset("gemma3n-e2b", "gemma3n", 2048, 15, 32768, 1e6, 1e-6, true, 0.02,
                    new SynthAttention(8, 2, 256, 512, fourToOne(15), 5, 10000, 30f),
                    new SynthFeedForward(8192, sparseFirst(15, 10, 0.95f), 4, 64, 256),
                    new Preset.Vocab(262400, "qwen2", 262000)),
            // gemma3n-tiny: window 16 on layers 0, 1, 3, 4; layers 4 and 5 read the KV of 3 and 2;
            // sparse FFN on layers 0 and 1.
            new Preset("gemma3n-tiny", "gemma3n", 64, 6, 256, 1e6, 1e-6, true, 0.02,
                    new SynthAttention(4, 2, 32, 16, new boolean[]{true, true, false, true, true, false}, 2, 10000, 30f),
                    new SynthFeedForward(128, sparseFirst(6, 2, 0.95f), 4, 32, 32),
                    new Preset.Vocab(512, "qwen2", 509)));

    /** Gemma 3n's default layer types: four sliding layers, then a full one. */
    private static boolean[] fourToOne(int layers) {
        boolean[] sliding = new boolean[layers];
        for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % 5 != 0;
        return sliding;
    }

    /** Activation sparsity {@code s} on the first {@code sparse} layers, dense after. */
    private static float[] sparseFirst(int layers, int sparse, float s) {
        float[] out = new float[layers];
        for (int i = 0; i < sparse; i++) out[i] = s;
        return out;
    }

    /**
     * Gemma 3n's attention as llama.cpp's converter writes it: Q/K norms, a norm after the branch,
     * {@code sliding[l]} for the sliding layers (a bool per layer), the last {@code sharedKvLayers}
     * layers reading an earlier layer's KV; their K/V projections and K norm are written anyway,
     * as Google's checkpoints hold them and llama.cpp loads them (Ember ignores them).
     */
    record SynthAttention(int heads, int kvHeads, int headDim, int window, boolean[] sliding, int sharedKvLayers,
                          double localRopeBase, float finalSoftcap) implements Preset.Attention {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            new Preset.GemmaAttention(heads, kvHeads, headDim, true, window, 0, 0f, finalSoftcap, localRopeBase).tensors(p, layer, out);
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            new Preset.GqaAttention(heads, kvHeads, headDim, true).metadata(p, w);
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
     * ({@link #leadingTensors}).
     */
    record SynthFeedForward(int size, float[] sparsity, int altUpInputs, int laurelRank, int perLayerWidth) implements Preset.FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            new Preset.GemmaFeedForward(size).tensors(p, layer, out);
            String b = "blk." + layer + ".";
            long d = p.hidden(), n = altUpInputs;
            out.add(Preset.TensorSpec.weight(b + "inp_gate.weight", d, perLayerWidth));
            out.add(Preset.TensorSpec.weight(b + "proj.weight", perLayerWidth, d));
            out.add(Preset.TensorSpec.norm(b + "post_norm.weight", d));
            out.add(Preset.TensorSpec.router(b + "altup_correct_coef.weight", n, n));
            out.add(Preset.TensorSpec.norm(b + "altup_correct_scale.weight", d));
            out.add(Preset.TensorSpec.router(b + "altup_predict_coef.weight", n, n * n));
            out.add(Preset.TensorSpec.router(b + "altup_router.weight", d, n));
            out.add(Preset.TensorSpec.norm(b + "altup_router_norm.weight", d));
            out.add(Preset.TensorSpec.weight(b + "laurel_l.weight", d, laurelRank));
            out.add(Preset.TensorSpec.weight(b + "laurel_r.weight", laurelRank, d));
            out.add(Preset.TensorSpec.norm(b + "laurel_post_norm.weight", d));
        }

        /** The per-layer embedding table and projection, and the stacked AltUp projections. */
        @Override
        public void leadingTensors(Preset p, List<Preset.TensorSpec> out) {
            long d = p.hidden(), perLayer = (long) perLayerWidth * p.layers();
            out.add(Preset.TensorSpec.experts("altup_proj.weight", d, d, altUpInputs - 1));
            out.add(Preset.TensorSpec.experts("altup_unembd_proj.weight", d, d, altUpInputs - 1));
            out.add(Preset.TensorSpec.weight("per_layer_token_embd.weight", perLayer, p.vocab().size()));
            out.add(Preset.TensorSpec.weight("per_layer_model_proj.weight", d, perLayer));
            out.add(Preset.TensorSpec.norm("per_layer_proj_norm.weight", perLayerWidth));
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
}
