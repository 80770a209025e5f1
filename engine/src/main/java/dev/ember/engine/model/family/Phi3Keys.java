package dev.ember.engine.model.family;

import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Phi-3's config.json ({@code Phi3ForCausalLM}: Phi-3, Phi-3.5, Phi-4-mini) as llama.cpp's
 * {@code phi3} GGUF keys and LongRoPE tensors, the set its {@code Phi3MiniModel} writes, with the
 * values transformers 5.17 computes from the config:
 * <ul>
 *   <li>rope parameters from {@code rope_parameters} (or 4.x {@code rope_scaling}); types
 *       {@code su} and {@code yarn} mean {@code longrope}, as {@code Phi3Config} maps them;</li>
 *   <li>{@code partial_rotary_factor} from the rope parameters or the top level; rotated dims
 *       {@code int(head_dim · factor)};</li>
 *   <li>{@code original_max_position_embeddings} from the top level (default 4096), which
 *       transformers prefers to the rope parameters' copy;</li>
 *   <li>the attention factor: the rope parameters' {@code attention_factor}, else
 *       {@code sqrt(1 + ln(s) / ln(original))} with {@code s} their {@code factor} or else
 *       {@code max_position_embeddings / original} (1 when s ≤ 1). llama.cpp's converter always
 *       uses the ratio; the two differ only for configs that set those keys.</li>
 * </ul>
 * A {@code sliding_window} of null is written as 0, as llama.cpp does.
 */
final class Phi3Keys {
    private Phi3Keys() {}

    /** LongRoPE's two factor sets (one divisor per rotated pair) and the cos/sin multiplier. */
    record LongRope(float[] longFactors, float[] shortFactors, double attentionFactor) {}

    static void translate(HfConfig c, GgufMetadata m) {
        String a = "phi3.";
        long hidden = positive(c, "hidden_size");
        long heads = positive(c, "num_attention_heads");
        long kvHeads = c.has("num_key_value_heads") ? positive(c, "num_key_value_heads") : heads;
        if (heads % kvHeads != 0) throw c.invalid("num_key_value_heads", "must divide num_attention_heads = " + heads);
        m.u32(a + "context_length", c.integer("max_position_embeddings", 4096));
        m.u32(a + "rope.scaling.original_context_length", originalContext(c));
        m.u32(a + "embedding_length", hidden);
        m.u32(a + "feed_forward_length", positive(c, "intermediate_size"));
        m.u32(a + "block_count", positive(c, "num_hidden_layers"));
        m.u32(a + "attention.head_count", heads);
        m.u32(a + "attention.head_count_kv", kvHeads);
        m.f32(a + "attention.layer_norm_rms_epsilon", c.has("rms_norm_eps") ? c.real("rms_norm_eps") : 1e-5);
        m.u32(a + "rope.dimension_count", ropeDims(c));
        Map<String, Object> rp = CommonKeys.ropeParameters(c);
        Object theta = rp.containsKey("rope_theta") ? rp.get("rope_theta") : c.raw("rope_theta");
        m.f32(a + "rope.freq_base", theta instanceof Number t ? t.doubleValue() : 10000.0);
        long window = c.integer("sliding_window", 0);
        if (window < 0) throw c.invalid("sliding_window", "must not be negative");
        m.u32(a + "attention.sliding_window", window);
        if (c.has("head_dim")) {
            m.u32(a + "attention.key_length", c.integer("head_dim"));
            m.u32(a + "attention.value_length", c.integer("head_dim"));
        }
        LongRope longRope = longRope(c);
        if (longRope != null) m.f32(a + "rope.scaling.attn_factor", longRope.attentionFactor());
        String act = c.string("hidden_act", "silu");
        if (!act.equals("silu")) throw c.invalid("hidden_act", "only 'silu' (SwiGLU, Phi-3's) is supported");
    }

    /** LongRoPE's factor sets as tensors, as llama.cpp's Phi3MiniModel.generate_extra_tensors writes them; none for the default RoPE. */
    static Map<String, float[]> factorTensors(HfConfig c) {
        LongRope lr = longRope(c);
        if (lr == null) return Map.of();
        Map<String, float[]> out = new LinkedHashMap<>();
        out.put(DenseConfigs.LONG_FACTORS, lr.longFactors());
        out.put(DenseConfigs.SHORT_FACTORS, lr.shortFactors());
        return out;
    }

    /** The LongRoPE parameters, or null when the config's RoPE is the default one. */
    static LongRope longRope(HfConfig c) {
        Map<String, Object> rp = CommonKeys.ropeParameters(c);
        String type = rp.get("rope_type") instanceof String s ? s : rp.get("type") instanceof String s2 ? s2 : "default";
        String key = c.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        switch (type) {
            case "default" -> { return null; }
            case "longrope", "su", "yarn" -> { }
            default -> throw c.invalid(key, "unsupported rope_type '" + type
                    + "' for Phi-3 (supported: default, longrope; su and yarn are read as longrope, as transformers does)");
        }
        int pairs = ropeDims(c) / 2;
        float[] longFactors = factors(c, rp, key, "long_factor", pairs);
        float[] shortFactors = factors(c, rp, key, "short_factor", pairs);
        long original = originalContext(c);
        double factor = rp.get("factor") instanceof Number f ? f.doubleValue()
                : (double) c.integer("max_position_embeddings", 4096) / original;
        double attention = rp.get("attention_factor") instanceof Number af ? af.doubleValue()
                : factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        return new LongRope(longFactors, shortFactors, attention);
    }

    private static float[] factors(HfConfig c, Map<String, Object> rp, String key, String name, int pairs) {
        if (!(rp.get(name) instanceof List<?> l)) throw c.missing(key + "." + name, "a list of " + pairs + " numbers, required by LongRoPE");
        if (l.size() != pairs) {
            throw c.invalid(key, name + " has " + l.size() + " values, expected " + pairs + " (half the rotated dimensions)");
        }
        float[] out = new float[pairs];
        for (int i = 0; i < pairs; i++) {
            if (!(l.get(i) instanceof Number n) || !(n.doubleValue() > 0)) throw c.invalid(key, name + "[" + i + "] must be a positive number");
            out[i] = n.floatValue();
        }
        return out;
    }

    /** transformers: {@code int(head_dim * partial_rotary_factor)}, head_dim defaulting to hidden / heads. */
    static int ropeDims(HfConfig c) {
        Map<String, Object> rp = CommonKeys.ropeParameters(c);
        double partial = rp.get("partial_rotary_factor") instanceof Number p ? p.doubleValue()
                : c.has("partial_rotary_factor") ? c.real("partial_rotary_factor") : 1.0;
        long headDim = c.has("head_dim") ? c.integer("head_dim") : positive(c, "hidden_size") / positive(c, "num_attention_heads");
        int dims = (int) (headDim * partial);
        if (dims <= 0 || dims % 2 != 0 || dims > headDim) {
            throw c.invalid("partial_rotary_factor", "gives " + dims + " rotated dimensions of a " + headDim + "-dim head; must be even and > 0");
        }
        return dims;
    }

    private static long originalContext(HfConfig c) {
        long original = c.integer("original_max_position_embeddings", 4096);
        if (original <= 1) throw c.invalid("original_max_position_embeddings", "must be > 1");
        return original;
    }

    private static long positive(HfConfig c, String key) {
        long v = c.integer(key);
        if (v <= 0) throw c.invalid(key, "must be positive");
        return v;
    }
}
