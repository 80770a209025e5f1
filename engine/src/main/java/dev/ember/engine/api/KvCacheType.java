package dev.ember.engine.api;

/**
 * The element type of the KV cache. Keys and values are computed in float and stored in this
 * type; attention reads them back as floats. F16 and BF16 halve the cache, Q8_0 (blocks of 32
 * int8 values with one F16 scale, as in GGUF) stores 8.5 bits per value.
 */
public enum KvCacheType {
    F32, F16, BF16, Q8_0;

    /**
     * The default: F16. Of the half-size types it is the one whose greedy output equals F32's on
     * every architecture fixture (BF16's 8-bit mantissa changes greedy tokens on qwen2, mixtral,
     * deepseek_v2 and deepseek_v3; see KvCacheAccuracyTest and docs/architecture.md). Its range
     * (±65504) is ample for keys and values, which are normed or come from bounded projections.
     */
    public static final KvCacheType DEFAULT = F16;

    /** Bytes one row of {@code width} values takes. */
    public long rowBytes(int width) {
        return switch (this) {
            case F32 -> 4L * width;
            case F16, BF16 -> 2L * width;
            case Q8_0 -> 34L * ((width + 31) / 32);
        };
    }

    /** Parses a flag value ("f32", "bf16", "F16", "q8_0"); fails with one line naming the choices. */
    public static KvCacheType parse(String s) {
        for (KvCacheType t : values()) if (t.name().equalsIgnoreCase(s)) return t;
        throw new IllegalArgumentException("unknown KV cache type '" + s + "'; use f32, f16, bf16 or q8_0");
    }
}
