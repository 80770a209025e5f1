package dev.ember.engine.model;

import dev.ember.engine.tensor.WeightMatrix;

/**
 * The routed experts of one MoE layer: per expert a SwiGLU (gate, up, down). Stored as llama.cpp
 * stores them, one 3-D tensor per projection ({@code [k, n, experts]}), viewed per expert without
 * copying.
 */
public record ExpertWeights(WeightMatrix[] gate, WeightMatrix[] up, WeightMatrix[] down) {
    public int count() { return gate.length; }

    /** Every expert matrix passed through {@code f} (e.g. into the kernels' layout). */
    public ExpertWeights map(java.util.function.UnaryOperator<WeightMatrix> f) {
        WeightMatrix[] g = gate.clone(), u = up.clone(), d = down.clone();
        for (int e = 0; e < g.length; e++) {
            g[e] = f.apply(g[e]);
            u[e] = f.apply(u[e]);
            d[e] = f.apply(d[e]);
        }
        return new ExpertWeights(g, u, d);
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
