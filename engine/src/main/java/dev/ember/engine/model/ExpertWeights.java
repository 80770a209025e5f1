package dev.ember.engine.model;

import dev.ember.engine.tensor.WeightMatrix;

/**
 * The routed experts of one MoE layer: per expert a SwiGLU (gate, up, down). Stored as llama.cpp
 * stores them, one 3-D tensor per projection ({@code [k, n, experts]}), viewed per expert without
 * copying. Biases (gpt-oss), when present, are one row per expert ({@code [n, experts]}); a null
 * array means none.
 */
public record ExpertWeights(WeightMatrix[] gate, WeightMatrix[] up, WeightMatrix[] down,
                            float[][] gateBias, float[][] upBias, float[][] downBias) {
    public ExpertWeights(WeightMatrix[] gate, WeightMatrix[] up, WeightMatrix[] down) {
        this(gate, up, down, null, null, null);
    }

    public int count() { return gate.length; }

    /** Expert {@code e}'s biases, or null when the experts have none. */
    public SwiGlu.Biases biases(int e) {
        if (gateBias == null && upBias == null && downBias == null) return null;
        return new SwiGlu.Biases(gateBias == null ? null : gateBias[e], upBias == null ? null : upBias[e], downBias == null ? null : downBias[e]);
    }

    /** These experts with the biases of {@code gate}, {@code up} and {@code down} (stacked {@code [n, experts]} tensors; absent ones stay null). */
    public ExpertWeights withBiases(Weights w, String gate, String up, String down) {
        int n = count();
        return new ExpertWeights(this.gate, this.up, this.down,
                w.has(gate) ? w.rows(gate, n, this.gate[0].rows()) : null,
                w.has(up) ? w.rows(up, n, this.up[0].rows()) : null,
                w.has(down) ? w.rows(down, n, this.down[0].rows()) : null);
    }

    /** Every expert matrix passed through {@code f} (e.g. into the kernels' layout). */
    public ExpertWeights map(java.util.function.UnaryOperator<WeightMatrix> f) {
        WeightMatrix[] g = gate.clone(), u = up.clone(), d = down.clone();
        for (int e = 0; e < g.length; e++) {
            g[e] = f.apply(g[e]);
            u[e] = f.apply(u[e]);
            d[e] = f.apply(d[e]);
        }
        return new ExpertWeights(g, u, d, gateBias, upBias, downBias);
    }

    /** The experts of one layer from a weight source, as views (no copies where the source can avoid them). */
    public static ExpertWeights of(WeightSource src, String gate, String up, String down) {
        int n = src.expertCount(gate);
        if (src.expertCount(up) != n || src.expertCount(down) != n) throw new ModelLoadException(src.origin() + ": " + gate + ", " + up + ", " + down + ": expert counts differ");
        WeightMatrix[] g = new WeightMatrix[n], u = new WeightMatrix[n], d = new WeightMatrix[n];
        for (int e = 0; e < n; e++) {
            g[e] = src.expert(gate, e);
            u[e] = src.expert(up, e);
            d[e] = src.expert(down, e);
        }
        return new ExpertWeights(g, u, d);
    }
}
