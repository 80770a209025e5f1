package dev.ember.engine.safetensors;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GGUF keys every family gets from config.json, as llama.cpp's
 * {@code TextModel.set_gguf_parameters} writes them: sizes, heads, RoPE and its scaling, norm
 * epsilon, expert counts and routing. Values are validated where a wrong one would load a broken
 * model rather than fail.
 */
public final class CommonKeys {
    public static final long GATING_SOFTMAX = 1;
    public static final long GATING_SIGMOID = 2;

    private CommonKeys() {}

    /**
     * The architecture string is taken from the metadata map's {@code general.architecture}. A
     * family's translator calls this first and then adds or replaces keys.
     */
    public static void translate(HfConfig c, GgufMetadata m) {
        translate(c, m, true);
    }

    /**
     * As {@link #translate}, without the head sizes from {@code head_dim}: for a family whose key
     * and value lengths are its own (DeepSeek's MLA), which then neither reads nor writes them here.
     */
    public static void translateExceptHeadSizes(HfConfig c, GgufMetadata m) {
        translate(c, m, false);
    }

    private static void translate(HfConfig c, GgufMetadata m, boolean headSizes) {
        String arch = (String) m.asMap().get("general.architecture");
        String a = arch + ".";
        long layers = positive(c, "num_hidden_layers");
        m.u32(a + "block_count", layers);
        Long ctx = c.optionalInteger("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length");
        if (ctx != null) m.u32(a + "context_length", ctx);
        long hidden = positive(c, "hidden_size");
        m.u32(a + "embedding_length", hidden);
        if (c.raw("intermediate_size") instanceof java.util.List<?> sizes) { // per layer (Gemma 3n), an array as gguf-py writes it
            if (sizes.size() != layers) throw c.invalid("intermediate_size", "has " + sizes.size() + " values for " + layers + " layers");
            int[] each = new int[sizes.size()];
            for (int i = 0; i < each.length; i++) {
                if (!(sizes.get(i) instanceof Long v) || v <= 0 || v > Integer.MAX_VALUE) throw c.invalid("intermediate_size", "value " + i + " is not a positive integer");
                each[i] = (int) (long) v;
            }
            m.i32s(a + "feed_forward_length", each);
        } else {
            m.u32(a + "feed_forward_length", positive(c, "intermediate_size"));
        }
        long heads = positive(c, "num_attention_heads");
        m.u32(a + "attention.head_count", heads);
        if (c.has("num_key_value_heads")) {
            long kv = positive(c, "num_key_value_heads");
            if (heads % kv != 0) throw c.invalid("num_key_value_heads", "must divide num_attention_heads = " + heads);
            m.u32(a + "attention.head_count_kv", kv);
        }

        Map<String, Object> rp = ropeParameters(c);
        String type = rp.get("rope_type") instanceof String s ? s : rp.get("type") instanceof String s2 ? s2 : null;
        Double factor = rp.get("factor") instanceof Number n ? n.doubleValue() : null;
        if (type != null) {
            switch (type) {
                case "default" -> { }
                case "linear" -> {
                    if (factor != null) {
                        m.string(a + "rope.scaling.type", "linear");
                        m.f32(a + "rope.scaling.factor", factor);
                    }
                }
                case "yarn" -> {
                    if (factor != null) {
                        m.string(a + "rope.scaling.type", "yarn");
                        m.f32(a + "rope.scaling.factor", factor);
                        Object orig = rp.getOrDefault("original_max_position_embeddings", c.raw("original_max_position_embeddings"));
                        if (!(orig instanceof Long o)) throw c.missing("rope_parameters.original_max_position_embeddings", "an integer, required by YaRN");
                        m.u32(a + "rope.scaling.original_context_length", o);
                        real(rp, "extrapolation_factor", a + "rope.scaling.yarn_ext_factor", m);
                        Object attn = rp.containsKey("attention_factor") ? rp.get("attention_factor") : rp.get("attn_factor");
                        if (attn instanceof Number n) m.f32(a + "rope.scaling.yarn_attn_factor", n.doubleValue());
                        real(rp, "beta_fast", a + "rope.scaling.yarn_beta_fast", m);
                        real(rp, "beta_slow", a + "rope.scaling.yarn_beta_slow", m);
                        // Ember's key: llama.cpp has none and always rounds the correction range.
                        if (rp.get("truncate") instanceof Boolean t) m.bool(a + "rope.scaling.yarn_truncate", t);
                    }
                }
                case "llama3" -> { } // becomes the rope_freqs.weight tensor (see TensorPlanner)
                default -> throw c.invalid(c.has("rope_parameters") ? "rope_parameters" : "rope_scaling",
                        "unsupported rope_type '" + type + "' (supported: default, linear, yarn, llama3)");
            }
        }
        Object theta = rp.containsKey("rope_theta") ? rp.get("rope_theta") : c.raw("rope_theta");
        if (theta instanceof Number t) m.f32(a + "rope.freq_base", t.doubleValue());
        if (c.has("rms_norm_eps")) m.f32(a + "attention.layer_norm_rms_epsilon", c.real("rms_norm_eps"));

        Long experts = c.optionalInteger("num_local_experts", "num_experts", "n_routed_experts");
        if (experts != null) m.u32(a + "expert_count", experts);
        Long used = c.optionalInteger("num_experts_per_tok", "num_experts_per_token");
        if (used != null) {
            if (experts != null && (used < 1 || used > experts)) throw c.invalid("num_experts_per_tok", "must be between 1 and the expert count " + experts);
            m.u32(a + "expert_used_count", used);
        }
        if (c.has("n_group")) m.u32(a + "expert_group_count", c.integer("n_group"));
        if (c.has("topk_group")) m.u32(a + "expert_group_used_count", c.integer("topk_group"));
        String score = c.string("scoring_func", c.string("score_function", null));
        if (score != null) {
            m.u32(a + "expert_gating_func", switch (score) {
                case "softmax" -> GATING_SOFTMAX;
                case "sigmoid" -> GATING_SIGMOID;
                default -> throw c.invalid("scoring_func", "unsupported (supported: softmax, sigmoid)");
            });
        }
        if (headSizes && c.has("head_dim")) {
            m.u32(a + "attention.key_length", c.integer("head_dim"));
            m.u32(a + "attention.value_length", c.integer("head_dim"));
        }
    }

    /**
     * The period of a sliding/full layer pattern (period - 1 sliding layers, then one full), from
     * {@code layer_types} when config.json has it, else {@code sliding_window_pattern}, else the
     * family's default; a pattern that is not of that form is refused.
     */
    public static long slidingPeriod(HfConfig c, long fallback) {
        if (!(c.raw("layer_types") instanceof java.util.List<?> types)) return c.integer("sliding_window_pattern", fallback);
        int period = types.indexOf("full_attention") + 1;
        if (period == 0) period = types.size() + 1; // every layer slides
        for (int i = 0; i < types.size(); i++) {
            String want = i % period < period - 1 ? "sliding_attention" : "full_attention";
            if (!want.equals(types.get(i))) {
                throw c.invalid("layer_types", "layer " + i + " is " + types.get(i) + "; only a repeating pattern of "
                        + (period - 1) + " sliding layers and one full layer is supported, as in llama.cpp");
            }
        }
        return period;
    }

    /** rope_parameters (transformers 5) or rope_scaling (4.x), with full_attention unwrapped. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> ropeParameters(HfConfig c) {
        Map<String, Object> rp = c.has("rope_parameters") ? c.object("rope_parameters") : c.object("rope_scaling");
        if (rp.get("full_attention") instanceof Map<?, ?> full) rp = (Map<String, Object>) full;
        return new LinkedHashMap<>(rp);
    }

    private static void real(Map<String, Object> rp, String key, String gguf, GgufMetadata m) {
        if (rp.get(key) instanceof Number n) m.f32(gguf, n.doubleValue());
    }

    private static long positive(HfConfig c, String key) {
        long v = c.integer(key);
        if (v <= 0) throw c.invalid(key, "must be positive");
        return v;
    }
}
