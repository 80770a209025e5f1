package dev.ember.engine.model;

import java.util.Map;

/** Typed, checked access to a checkpoint's metadata, with errors that name the key and the file. */
public final class ModelParams {
    private final WeightSource source;
    private final String arch;

    public ModelParams(WeightSource source) {
        this.source = source;
        Object a = source.metadata().get("general.architecture");
        if (!(a instanceof String s)) throw new ModelLoadException(source.origin() + ": missing metadata 'general.architecture'");
        this.arch = s;
    }

    public String arch() { return arch; }

    private Object raw(String key) {
        Map<String, Object> m = source.metadata();
        Object v = m.get(key);
        if (v == null) v = m.get(arch + "." + key);
        return v;
    }

    /** {@code key} is looked up as given and under the architecture prefix ({@code arch.key}). */
    public int integer(String key) {
        Object v = raw(key);
        if (v == null) throw new ModelLoadException(source.origin() + ": missing metadata '" + arch + "." + key + "'");
        long n;
        if (v instanceof Long l) n = l;
        else if (v instanceof long[] arr && arr.length > 0) n = arr[0]; // per-layer arrays: uniform models only
        else throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' should be an integer");
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' = " + n + " is out of range");
        }
        return (int) n;
    }

    /** A size or count that must be at least 1 ({@code block_count}, {@code attention.head_count}, ...). */
    public int count(String key) {
        return positive(key, integer(key));
    }

    public int count(String key, int fallback) {
        return raw(key) == null ? fallback : count(key);
    }

    private int positive(String key, int n) {
        if (n < 1) throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' = " + n + " must be at least 1");
        return n;
    }

    public int integer(String key, int fallback) {
        return raw(key) == null ? fallback : integer(key);
    }

    public double real(String key, double fallback) {
        Object v = raw(key);
        if (v == null) return fallback;
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' should be a number");
    }

    public boolean bool(String key, boolean fallback) {
        Object v = raw(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' should be a bool");
    }

    public String string(String key, String fallback) {
        Object v = raw(key);
        return v instanceof String s ? s : fallback;
    }

    /**
     * A per-layer integer ({@code feed_forward_length} of a model whose layers differ): an array of
     * {@code layers} values, or one value for every layer; {@code fallback} for every layer when absent.
     */
    public int[] perLayer(String key, int layers, int fallback) {
        Object v = raw(key);
        int[] out = new int[layers];
        if (v instanceof long[] arr) {
            if (arr.length != layers) throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' has " + arr.length + " values for " + layers + " layers");
            for (int i = 0; i < layers; i++) out[i] = positive(key, Math.toIntExact(arr[i]));
        } else {
            java.util.Arrays.fill(out, v == null ? fallback : integer(key));
        }
        return out;
    }

    /** A float array of {@code length} values, or null when absent. */
    public float[] reals(String key, int length) {
        Object v = raw(key);
        if (v == null) return null;
        if (!(v instanceof double[] d)) throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' should be an array of floats");
        if (d.length != length) throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' has " + d.length + " values, expected " + length);
        float[] out = new float[length];
        for (int i = 0; i < length; i++) out[i] = (float) d[i];
        return out;
    }

    /** A bool array of {@code length} values, or null when absent or not an array. */
    public boolean[] bools(String key, int length) {
        if (!(raw(key) instanceof boolean[] b)) return null;
        if (b.length != length) throw new ModelLoadException(source.origin() + ": metadata '" + arch + "." + key + "' has " + b.length + " values, expected " + length);
        return b.clone();
    }

    public WeightSource source() { return source; }
}
