package dev.ember.engine.model.family;

import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.util.Json;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DeepSeek-V4's config.json as llama.cpp's {@code deepseek4} GGUF keys. Two spellings of the
 * same configuration exist and both are read, with transformers' precedence when both appear:
 * <ul>
 *   <li>DeepSeek's own: {@code compress_ratios} (one per layer, plus the MTP layer's),
 *       {@code num_hash_layers}, {@code qk_rope_head_dim}, {@code rope_scaling} with
 *       {@code rope_theta} / {@code compress_rope_theta};</li>
 *   <li>transformers': {@code layer_types} with per-kind {@code compress_rates},
 *       {@code mlp_layer_types}, {@code partial_rotary_factor}, and {@code rope_parameters}
 *       split into {@code main} (sliding-window layers) and {@code compress} (compressed
 *       layers).</li>
 * </ul>
 * Defaults are transformers' {@code DeepseekV4Config} defaults (the Flash values) for the
 * parameters it defaults; the layer schedule has no default here, because transformers'
 * (HCA, HCA, then alternating) matches neither released model.
 */
final class DeepseekV4Keys {
    /** llama.cpp's expert gating function id for sqrt(softplus(logit)), what DeepseekV4Loader requires. */
    static final long GATING_SQRT_SOFTPLUS = 4;
    static final String SLIDING = "sliding_attention";
    static final String CSA = "compressed_sparse_attention";
    static final String HCA = "heavily_compressed_attention";
    /** The loader tells CSA layers from HCA ones by this ratio, as llama.cpp does. */
    static final long CSA_RATIO = 4;

    private DeepseekV4Keys() {}

    static void translate(HfConfig c, GgufMetadata m) {
        String a = "deepseek4.";
        int layers = Math.toIntExact(positive(c, "num_hidden_layers"));
        long hidden = positive(c, "hidden_size");
        long heads = positive(c, "num_attention_heads");
        long headDim = positive(c, "head_dim");
        m.u32(a + "block_count", layers);
        if (c.has("max_position_embeddings")) m.u32(a + "context_length", c.integer("max_position_embeddings"));
        m.u32(a + "embedding_length", hidden);
        m.u32(a + "attention.head_count", heads);
        if (c.integer("num_key_value_heads", 1) != 1) {
            throw c.invalid("num_key_value_heads", "DeepSeek-V4 has exactly one KV head (its keys are its values)");
        }
        m.u32(a + "attention.head_count_kv", 1);
        m.u32(a + "attention.key_length", headDim);
        m.u32(a + "attention.value_length", headDim);
        m.u32(a + "attention.q_lora_rank", positive(c, "q_lora_rank"));
        m.u32(a + "attention.sliding_window", positive(c, "sliding_window"));
        m.f32(a + "attention.layer_norm_rms_epsilon", c.has("rms_norm_eps") ? c.real("rms_norm_eps") : 1e-6);

        long groups = positive(c, "o_groups");
        if (heads * headDim % groups != 0 || heads % groups != 0) {
            throw c.invalid("o_groups", "must divide num_attention_heads = " + heads + " (whole heads per output group)");
        }
        m.u32(a + "attention.output_group_count", groups);
        m.u32(a + "attention.output_lora_rank", positive(c, "o_lora_rank"));

        long[] ratios = compressRatios(c, layers);
        int[] r = new int[layers];
        boolean anyCsa = false;
        for (int i = 0; i < layers; i++) {
            r[i] = Math.toIntExact(ratios[i]);
            anyCsa |= ratios[i] == CSA_RATIO;
        }
        m.i32s(a + "attention.compress_ratios", r);
        rope(c, m, a, headDim);
        if (anyCsa || c.has("index_n_heads")) {
            // Only CSA layers have an indexer; the keys are still written when config.json has them, as llama.cpp does.
            m.u32(a + "attention.indexer.head_count", c.integer("index_n_heads", 64));
            m.u32(a + "attention.indexer.key_length", c.integer("index_head_dim", 128));
            m.u32(a + "attention.indexer.top_k", c.integer("index_topk", 512));
        }

        long hc = c.integer("hc_mult", 4);
        m.u32(a + "hyper_connection.count", hc);
        m.u32(a + "hyper_connection.sinkhorn_iterations", c.integer("hc_sinkhorn_iters", 20));
        m.f32(a + "hyper_connection.epsilon", c.has("hc_eps") ? c.real("hc_eps") : 1e-6);
        m.u32(a + "embedding_length_out", hc * hidden);

        m.u32(a + "hash_layer_count", hashLayers(c, layers));
        long experts = positive(c, "n_routed_experts");
        long used = positive(c, "num_experts_per_tok");
        if (used > experts) throw c.invalid("num_experts_per_tok", "must be at most n_routed_experts = " + experts);
        m.u32(a + "expert_count", experts);
        m.u32(a + "expert_used_count", used);
        m.u32(a + "expert_feed_forward_length", positive(c, "moe_intermediate_size"));
        m.u32(a + "expert_shared_count", c.integer("n_shared_experts", 1));
        m.f32(a + "expert_weights_scale", c.has("routed_scaling_factor") ? c.real("routed_scaling_factor") : 1.5);
        m.bool(a + "expert_weights_norm", c.bool("norm_topk_prob", true));
        String scoring = c.string("scoring_func", "sqrtsoftplus");
        if (!scoring.equals("sqrtsoftplus")) {
            throw c.invalid("scoring_func", "DeepSeek-V4 routes with sqrtsoftplus; Ember does not support '" + scoring + "' for it");
        }
        m.u32(a + "expert_gating_func", GATING_SQRT_SOFTPLUS);
        double limit = c.has("swiglu_limit") ? c.real("swiglu_limit") : 10.0;
        double[] clamps = new double[layers];
        Arrays.fill(clamps, limit);
        // llama.cpp keeps one clamp per layer for the routed and one for the shared experts; V4 uses swiglu_limit for both.
        m.f32s(a + "swiglu_clamp_exp", clamps);
        m.f32s(a + "swiglu_clamp_shexp", clamps);
    }

    /**
     * One compression ratio per layer: 0 sliding window only, 4 CSA, anything else HCA at that
     * ratio. From {@code layer_types} + {@code compress_rates} (transformers' precedence), else
     * from DeepSeek's {@code compress_ratios} (whose extra trailing entry is the MTP layer's).
     */
    private static long[] compressRatios(HfConfig c, int layers) {
        long[] out = new long[layers];
        if (c.has("layer_types")) {
            List<?> types = list(c, "layer_types", layers);
            Map<String, Object> rates = new LinkedHashMap<>(c.object("compress_rates"));
            if (c.has("compress_rate_csa")) rates.put(CSA, c.integer("compress_rate_csa"));
            if (c.has("compress_rate_hca")) rates.put(HCA, c.integer("compress_rate_hca"));
            long csa = rate(c, rates, CSA, CSA_RATIO);
            long hca = rate(c, rates, HCA, 128);
            if (csa != CSA_RATIO) throw c.invalid("compress_rates", "CSA layers must compress by " + CSA_RATIO + " (Ember and llama.cpp tell them apart by it)");
            if (hca == CSA_RATIO) throw c.invalid("compress_rates", "HCA layers cannot compress by " + CSA_RATIO + ", the CSA ratio");
            for (int i = 0; i < layers; i++) {
                Object t = types.get(i);
                out[i] = switch (t instanceof String s ? s : "") {
                    case SLIDING -> 0;
                    case CSA -> csa;
                    case HCA -> hca;
                    default -> throw c.invalid("layer_types", "entry " + i + " is " + Json.write(t)
                            + "; DeepSeek-V4 layer types are " + SLIDING + ", " + CSA + " and " + HCA);
                };
            }
            return out;
        }
        if (!c.has("compress_ratios")) {
            throw c.missing("layer_types' or 'compress_ratios", "the attention kind of every layer: transformers' layer_types"
                    + " (sliding_attention / compressed_sparse_attention / heavily_compressed_attention) or DeepSeek's compress_ratios (0 / 4 / 128)");
        }
        List<?> ratios = list(c, "compress_ratios", layers);
        for (int i = 0; i < layers; i++) {
            if (!(ratios.get(i) instanceof Long v) || v < 0) {
                throw c.invalid("compress_ratios", "entry " + i + " should be a ratio >= 0 (0 sliding window, 4 CSA, 128 HCA)");
            }
            out[i] = v;
        }
        return out;
    }

    private static long rate(HfConfig c, Map<String, Object> rates, String kind, long fallback) {
        Object v = rates.getOrDefault(kind, fallback);
        if (!(v instanceof Long l) || l <= 0) throw c.invalid("compress_rates", "the rate of " + kind + " must be a positive integer");
        return l;
    }

    /** Hash-routed layers: the leading {@code hash_moe} entries of mlp_layer_types, else num_hash_layers (default 3). */
    private static long hashLayers(HfConfig c, int layers) {
        if (!c.has("mlp_layer_types")) {
            long n = c.integer("num_hash_layers", 3);
            if (n < 0) throw c.invalid("num_hash_layers", "must be >= 0");
            return Math.min(n, layers);
        }
        List<?> types = list(c, "mlp_layer_types", layers);
        int hash = 0;
        for (int i = 0; i < layers; i++) {
            Object t = types.get(i);
            if ("hash_moe".equals(t)) {
                if (hash != i) throw c.invalid("mlp_layer_types", "hash_moe layers must come first (layer " + i + " follows a moe layer)");
                hash++;
            } else if (!"moe".equals(t)) {
                throw c.invalid("mlp_layer_types", "entry " + i + " is " + Json.write(t)
                        + "; DeepSeek-V4 MLP layer types are hash_moe and moe");
            }
        }
        return hash;
    }

    /**
     * The sliding-window layers' plain RoPE ({@code rope.*}) and the compressed layers' own
     * theta and YaRN ({@code attention.compress_rope_freq_base}, {@code rope.scaling.*}: in V4
     * the scaling applies to compressed layers only, and without an attention factor).
     */
    @SuppressWarnings("unchecked")
    private static void rope(HfConfig c, GgufMetadata m, String a, long headDim) {
        double factor = c.has("partial_rotary_factor") ? c.real("partial_rotary_factor")
                : c.has("qk_rope_head_dim") ? (double) c.integer("qk_rope_head_dim") / headDim : 64.0 / 512;
        long ropeDim = (long) (headDim * factor);
        if (ropeDim <= 0 || ropeDim % 2 != 0 || ropeDim > headDim) {
            throw c.invalid(c.has("partial_rotary_factor") ? "partial_rotary_factor" : "qk_rope_head_dim",
                    "gives " + ropeDim + " rotated dimensions of head_dim " + headDim + "; it must be even and positive");
        }
        m.u32(a + "rope.dimension_count", ropeDim);

        Map<String, Object> rp = c.has("rope_parameters") ? c.object("rope_parameters") : Map.of();
        Map<String, Object> main;
        Map<String, Object> compress;
        if (rp.get("main") instanceof Map<?, ?> mm && rp.get("compress") instanceof Map<?, ?> cm) {
            main = (Map<String, Object>) mm;
            compress = (Map<String, Object>) cm;
        } else {
            // transformers folds a flat rope_parameters / DeepSeek's rope_scaling into the compressed layers' rope.
            main = Map.of();
            compress = new LinkedHashMap<>(c.has("rope_parameters") ? rp : c.object("rope_scaling"));
        }
        String mainType = ropeType(main);
        if (!mainType.equals("default")) {
            throw c.invalid("rope_parameters", "the sliding-window layers' rope (main) must be plain RoPE, found rope_type '" + mainType + "'");
        }
        m.f32(a + "rope.freq_base", number(main, "rope_theta", c.has("rope_theta") ? c.real("rope_theta") : 10000.0));
        m.f32(a + "attention.compress_rope_freq_base",
                number(compress, "rope_theta", c.has("compress_rope_theta") ? c.real("compress_rope_theta") : 160000.0));
        String type = ropeType(compress);
        switch (type) {
            case "default" -> { }
            case "yarn" -> {
                if (!(compress.get("factor") instanceof Number f)) throw c.missing("rope_scaling.factor", "YaRN's scaling factor");
                if (!(compress.get("original_max_position_embeddings") instanceof Long orig)) {
                    throw c.missing("rope_scaling.original_max_position_embeddings", "an integer, required by YaRN");
                }
                m.string(a + "rope.scaling.type", "yarn");
                m.f32(a + "rope.scaling.factor", f.doubleValue());
                m.u32(a + "rope.scaling.original_context_length", orig);
                m.f32(a + "rope.scaling.yarn_beta_fast", number(compress, "beta_fast", 32.0));
                m.f32(a + "rope.scaling.yarn_beta_slow", number(compress, "beta_slow", 1.0));
            }
            default -> throw c.invalid(c.has("rope_parameters") ? "rope_parameters" : "rope_scaling",
                    "the compressed layers' rope_type '" + type + "' is not supported (supported: yarn, default)");
        }
    }

    private static String ropeType(Map<String, Object> rp) {
        Object t = rp.containsKey("rope_type") ? rp.get("rope_type") : rp.get("type");
        return t instanceof String s ? s : "default";
    }

    private static double number(Map<String, Object> m, String key, double fallback) {
        return m.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }

    /** A per-layer list with at least one entry per layer (extra entries, such as the MTP layer's, are ignored). */
    private static List<?> list(HfConfig c, String key, int layers) {
        if (!(c.raw(key) instanceof List<?> l)) throw c.wrongType(key, "a list with one entry per layer", c.raw(key));
        if (l.size() < layers) throw c.invalid(key, "has " + l.size() + " entries for num_hidden_layers = " + layers);
        return l;
    }

    private static long positive(HfConfig c, String key) {
        long v = c.integer(key);
        if (v <= 0) throw c.invalid(key, "must be positive");
        return v;
    }
}
