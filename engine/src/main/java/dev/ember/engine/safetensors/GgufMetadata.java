package dev.ember.engine.safetensors;

import dev.ember.engine.gguf.GgufValueType;
import dev.ember.engine.gguf.GgufWriter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Translated metadata under GGUF keys, with the value types llama.cpp's converter writes (counts
 * as UINT32, reals as FLOAT32, …). It serves two readers that must agree exactly: the in-memory
 * map a model family reads (values as {@link dev.ember.engine.gguf.GgufFile#metadata()} returns
 * them, so a FLOAT32 is the double of a float) and {@link GgufWriter} for `ember convert`.
 */
public final class GgufMetadata {
    private record Entry(GgufValueType type, GgufValueType elementType, Object value) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public GgufMetadata u32(String key, long v) {
        if (v < 0 || v > 0xFFFFFFFFL) throw new IllegalArgumentException(key + " = " + v + " does not fit UINT32");
        return put(key, GgufValueType.UINT32, null, v);
    }

    public GgufMetadata i32(String key, long v) { return put(key, GgufValueType.INT32, null, (long) Math.toIntExact(v)); }

    public GgufMetadata f32(String key, double v) { return put(key, GgufValueType.FLOAT32, null, (double) (float) v); }

    public GgufMetadata bool(String key, boolean v) { return put(key, GgufValueType.BOOL, null, v); }

    public GgufMetadata string(String key, String v) { return put(key, GgufValueType.STRING, null, v); }

    public GgufMetadata strings(String key, String[] v) { return put(key, GgufValueType.ARRAY, GgufValueType.STRING, v.clone()); }

    public GgufMetadata i32s(String key, int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return put(key, GgufValueType.ARRAY, GgufValueType.INT32, l);
    }

    public GgufMetadata f32s(String key, double[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = (float) v[i]; // stored as FLOAT32, read back as the double of a float
        return put(key, GgufValueType.ARRAY, GgufValueType.FLOAT32, d);
    }

    public GgufMetadata bools(String key, boolean[] v) { return put(key, GgufValueType.ARRAY, GgufValueType.BOOL, v.clone()); }

    private GgufMetadata put(String key, GgufValueType type, GgufValueType elementType, Object value) {
        entries.put(key, new Entry(type, elementType, value));
        return this;
    }

    public boolean has(String key) { return entries.containsKey(key); }

    /** The values as GgufFile exposes them: Long, Double, Boolean, String, long[], double[], boolean[], String[]. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        entries.forEach((k, e) -> m.put(k, e.value()));
        return Collections.unmodifiableMap(m);
    }

    /** Writes every entry, in order, with its type; {@code keep} selects keys (e.g. only tokenizer ones). */
    public void writeTo(GgufWriter w, java.util.function.Predicate<String> keep) {
        entries.forEach((k, e) -> {
            if (keep.test(k)) w.put(k, e.type(), e.elementType(), e.value());
        });
    }
}
