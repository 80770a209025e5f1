package dev.ember.engine.model;

import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * The routed experts of one MoE layer: per expert a SwiGLU (gate, up, down). Stored as llama.cpp
 * stores them, one 3-D tensor per projection ({@code [k, n, experts]}), viewed per expert without
 * copying.
 */
public record ExpertWeights(WeightMatrix[] gate, WeightMatrix[] up, WeightMatrix[] down) {
    public int count() { return gate.length; }

    public static ExpertWeights stacked(Tensor gate, Tensor up, Tensor down) {
        int n = Math.toIntExact(gate.shape()[2]);
        if (up.shape()[2] != n || down.shape()[2] != n) {
            throw new ModelLoadException(gate.name() + ", " + up.name() + ", " + down.name() + ": expert counts differ");
        }
        WeightMatrix[] g = new WeightMatrix[n], u = new WeightMatrix[n], d = new WeightMatrix[n];
        for (int e = 0; e < n; e++) {
            g[e] = gate.slice(e);
            u[e] = up.slice(e);
            d[e] = down.slice(e);
        }
        return new ExpertWeights(g, u, d);
    }
}
