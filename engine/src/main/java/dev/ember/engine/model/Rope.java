package dev.ember.engine.model;

/**
 * Rotary position embedding with the scalings models use. The per-dimension inverse frequencies
 * (after scaling) are computed once; {@link #table} then gives cos/sin for a batch's positions,
 * shared by all layers of one forward pass.
 */
public final class Rope {
    private final int rotDims;
    private final RopeLayout layout;
    private final double[] invFreq;
    private final double mscale;

    /**
     * @param rotDims     rotated dimensions per head (may be less than the head size)
     * @param theta       the base (rope.freq_base)
     * @param freqFactors optional per-pair divisors of the frequency (GGUF rope_freqs.weight, or
     *                    LongRoPE's rope_factors_long/short.weight), or null
     */
    public Rope(int rotDims, double theta, RopeLayout layout, RopeScaling scaling, float[] freqFactors) {
        if (rotDims <= 0 || rotDims % 2 != 0) throw new IllegalArgumentException("rope dimensions must be even and > 0, got " + rotDims);
        this.rotDims = rotDims;
        this.layout = layout;
        int half = rotDims / 2;
        double[] base = new double[half];
        for (int i = 0; i < half; i++) {
            base[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotDims);
            if (freqFactors != null) base[i] /= freqFactors[i];
        }
        double ms = 1.0;
        switch (scaling.type()) {
            case NONE -> { }
            case LINEAR -> { for (int i = 0; i < half; i++) base[i] /= scaling.factor(); }
            case YARN -> {
                // Blend interpolated (divided by factor) and extrapolated frequencies with a linear
                // ramp between the correction dimensions, as YaRN (and ggml's rope_yarn) define it.
                double low = correctionDim(scaling.betaFast(), rotDims, theta, scaling.originalContext());
                double high = correctionDim(scaling.betaSlow(), rotDims, theta, scaling.originalContext());
                if (scaling.truncate()) {
                    low = Math.floor(low);
                    high = Math.ceil(high);
                }
                low = Math.max(low, 0);
                high = Math.min(high, rotDims - 1);
                for (int i = 0; i < half; i++) {
                    double ramp = Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
                    double extrapolationWeight = 1 - ramp;
                    double interp = base[i] / scaling.factor();
                    base[i] = interp * (1 - extrapolationWeight) + base[i] * extrapolationWeight;
                }
                ms = Float.isNaN(scaling.attentionFactor()) ? yarnMscale(scaling.factor()) : scaling.attentionFactor();
            }
            // LongRoPE: the chosen factor set came in as freqFactors (divisors, as transformers'
            // 1 / (ext_factors * base^(2i/d)) and ggml's freq_factors); only cos/sin are scaled.
            case LONGROPE -> ms = scaling.attentionFactor();
            case LLAMA3 -> {
                double lowWavelen = scaling.originalContext() / scaling.lowFreqFactor();
                double highWavelen = scaling.originalContext() / scaling.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / base[i];
                    if (wavelen < highWavelen) continue;
                    if (wavelen > lowWavelen) {
                        base[i] /= scaling.factor();
                    } else {
                        double smooth = (scaling.originalContext() / wavelen - scaling.lowFreqFactor())
                                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                        base[i] = (1 - smooth) * base[i] / scaling.factor() + smooth * base[i];
                    }
                }
            }
        }
        this.invFreq = base;
        this.mscale = ms;
    }

    static double yarnMscale(double factor) {
        return factor <= 1 ? 1.0 : 0.1 * Math.log(factor) + 1.0;
    }

    private static double correctionDim(double rotations, int dims, double base, int originalContext) {
        return dims * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    public int rotDims() { return rotDims; }

    /** The last table made, for the positions it was made for (layers of one step ask for the same one). */
    private record Made(int[] positions, float[] table) {}

    private volatile Made last;

    /**
     * cos/sin for each position: {@code [positions.length][rotDims/2]} interleaved as cos, sin.
     * Every layer of a forward pass asks for its batch's table: it is made once (the cos and sin
     * calls were a serial part of each layer) and must not be written to.
     */
    public float[] table(int[] positions, int count) {
        Made m = last;
        if (m != null && m.positions().length == count && java.util.Arrays.equals(m.positions(), 0, count, positions, 0, count)) return m.table();
        float[] t = computeTable(positions, count);
        last = new Made(java.util.Arrays.copyOf(positions, count), t);
        return t;
    }

    private float[] computeTable(int[] positions, int count) {
        int half = rotDims / 2;
        float[] t = new float[count * rotDims];
        for (int r = 0; r < count; r++) {
            int p = positions[r];
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                t[r * rotDims + 2 * i] = (float) (Math.cos(angle) * mscale);
                t[r * rotDims + 2 * i + 1] = (float) (Math.sin(angle) * mscale);
            }
        }
        return t;
    }

    /**
     * Rotates {@code rotDims} dims of each of {@code heads} vectors spaced {@code stride} apart,
     * starting at {@code x[off]}, to {@code position}; {@code inverse} rotates by {@code -position}
     * (DeepSeek-V4 un-rotates its attention outputs).
     */
    public void applyAt(float[] x, int off, int heads, int stride, int position, boolean inverse) {
        rotate(x, off, heads, stride, computeTable(new int[]{position}, 1), 0, inverse);
    }

    /** Rotates {@code heads} heads of size {@code headDim} at {@code x[off..]} with row {@code row} of the table. */
    public void apply(float[] x, int off, int heads, int headDim, float[] table, int row) {
        rotate(x, off, heads, headDim, table, row * rotDims, false);
    }

    /** The inverse rotation (by {@code -position}) with row {@code row} of the table. */
    public void applyInverse(float[] x, int off, int heads, int headDim, float[] table, int row) {
        rotate(x, off, heads, headDim, table, row * rotDims, true);
    }

    private void rotate(float[] x, int off, int heads, int headDim, float[] table, int t, boolean inverse) {
        int half = rotDims / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = table[t + 2 * i];
                float s = inverse ? -table[t + 2 * i + 1] : table[t + 2 * i + 1];
                int a, b;
                if (layout == RopeLayout.NORMAL) {
                    a = base + 2 * i;
                    b = a + 1;
                } else {
                    a = base + i;
                    b = base + i + half;
                }
                float x0 = x[a];
                float x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }
}
