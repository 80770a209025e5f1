package dev.ember.engine.model;

import dev.ember.engine.tensor.Tensor;

/** Reads the {@link ModelConfig} of a dense decoder from llama.cpp-style GGUF metadata keys. */
public final class DenseConfigs {
    private DenseConfigs() {}

    public static ModelConfig read(ModelParams p, RopeLayout layout) {
        return read(p, layout, true);
    }

    /** {@code yarnTruncate}: whether YaRN rounds its correction range when the file does not say (see {@link RopeScaling#truncate}). */
    public static ModelConfig read(ModelParams p, RopeLayout layout, boolean yarnTruncate) {
        WeightSource src = p.source();
        int dim = p.count("embedding_length");
        int heads = p.count("attention.head_count");
        int kvHeads = p.count("attention.head_count_kv", heads);
        if (heads % kvHeads != 0) {
            throw new ModelLoadException(src.origin() + ": metadata '" + p.arch() + ".attention.head_count' = " + heads
                    + " is not a multiple of '" + p.arch() + ".attention.head_count_kv' = " + kvHeads);
        }
        int headDim = p.count("attention.key_length", dim / heads);
        int valueDim = p.count("attention.value_length", headDim);
        Tensor embd = src.tensor("token_embd.weight");
        int vocab = embd.rows();
        return new ModelConfig(
                p.arch(), vocab, dim, p.count("block_count"), heads, kvHeads, headDim, valueDim,
                p.integer("feed_forward_length", p.integer("expert_feed_forward_length", 0)),
                (float) p.real("attention.layer_norm_rms_epsilon", 1e-5),
                p.integer("context_length", 2048),
                p.real("rope.freq_base", 10000.0),
                p.integer("rope.dimension_count", headDim),
                layout,
                ropeScaling(p, yarnTruncate));
    }

    public static RopeScaling ropeScaling(ModelParams p) {
        return ropeScaling(p, true);
    }

    /**
     * {@code rope.scaling.yarn_truncate} is Ember's key (llama.cpp always truncates): written when
     * config.json says, read with the family's default otherwise.
     */
    public static RopeScaling ropeScaling(ModelParams p, boolean yarnTruncate) {
        // llama.cpp's phi3 files carry LongRoPE as the two factor tensors and no scaling type.
        boolean factorTensors = p.source().hasTensor(LONG_FACTORS) || p.source().hasTensor(SHORT_FACTORS);
        String type = p.string("rope.scaling.type", factorTensors ? "longrope" : "none");
        float factor = (float) p.real("rope.scaling.factor", 1.0);
        return switch (type) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> factor == 1f ? RopeScaling.NONE : RopeScaling.linear(factor);
            case "yarn" -> RopeScaling.yarn(factor, p.integer("rope.scaling.original_context_length"),
                    (float) p.real("rope.scaling.yarn_beta_fast", 32.0), (float) p.real("rope.scaling.yarn_beta_slow", 1.0),
                    (float) p.real("rope.scaling.attn_factor", Double.NaN), p.bool("rope.scaling.yarn_truncate", yarnTruncate));
            // attn_factor defaults to 1, as in llama.cpp (its converter always writes it with the factors).
            case "longrope" -> RopeScaling.longrope(p.integer(AtContext.KEY, p.integer("context_length", 2048)), p.integer("rope.scaling.original_context_length"),
                    (float) p.real("rope.scaling.attn_factor", 1.0));
            default -> throw new ModelLoadException(p.source().origin() + ": unsupported rope scaling type '" + type
                    + "' (supported: none, linear, yarn, longrope; llama3 scaling comes as the rope_freqs tensor)");
        };
    }

    /** LongRoPE's factor sets (llama.cpp's names), one divisor per rotated pair. */
    public static final String LONG_FACTORS = "rope_factors_long.weight", SHORT_FACTORS = "rope_factors_short.weight";

    /**
     * Whether layer {@code layer} attends over a sliding window in llama.cpp's standard pattern:
     * {@code period - 1} sliding layers, then one full (Gemma 2/3, gpt-oss); never when {@code window} is 0.
     */
    public static boolean slidingLayer(int layer, int window, int period) {
        return window > 0 && period > 0 && layer % period < period - 1;
    }

    /**
     * The RoPE of a config, with per-frequency factors when the checkpoint has them: llama3-style
     * {@code rope_freqs}, or LongRoPE's long or short set as {@link RopeScaling#longFactors} picks.
     */
    public static Rope rope(ModelConfig c, Weights w) {
        int pairs = c.ropeDims() / 2;
        float[] factors;
        if (c.ropeScaling().type() == RopeScaling.Type.LONGROPE) {
            String set = c.ropeScaling().longFactors() ? LONG_FACTORS : SHORT_FACTORS;
            if (!w.has(set)) {
                throw new ModelLoadException(w.source().origin() + ": LongRoPE scaling without the '" + set + "' tensor (the context "
                        + c.contextLength() + " vs the original " + c.ropeScaling().originalContext() + " selects it); reconvert the model");
            }
            factors = w.vector(set, pairs);
        } else {
            factors = w.has("rope_freqs.weight") ? w.vector("rope_freqs.weight", pairs) : null;
        }
        return new Rope(c.ropeDims(), c.ropeTheta(), c.ropeLayout(), c.ropeScaling(), factors);
    }
}
