package dev.ember.engine.model.family;

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
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.Arrays;
import java.util.List;

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
}
