package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.tensor.WeightMatrix;

/** The final collapse of the mHC streams: {@code y = Σ_j (sigmoid(s·(Φ u)_j + b_j) + eps) · X_j}; no Sinkhorn. */
record HyperHead(WeightMatrix fn, float[] base, float scale, int streams, int dim, float eps, float rmsEps) {
    /** Collapses the streams of the given rows of {@code x} into {@code out} ([rows.length × D]). */
    void collapse(Kernels k, WorkerPool pool, float[] x, int[] rows, float[] out) {
        int n = streams, nd = n * dim;
        float[] picked = new float[rows.length * nd];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * nd, picked, i * nd, nd);
        float[] u = new float[rows.length * nd];
        float[] ones = HyperConnection.ones(nd);
        pool.parallelFor(rows.length, i -> k.rmsnorm(picked, i * nd, ones, rmsEps, u, i * nd, nd));
        float[] z = new float[rows.length * n];
        k.matmul(pool, fn, u, rows.length, z);
        pool.parallelFor(rows.length, i -> {
            float[] pre = new float[n];
            for (int j = 0; j < n; j++) pre[j] = HyperConnection.sigmoid(z[i * n + j] * scale + base[j]) + eps;
            HyperConnection.collapse(k, picked, i * nd, pre, n, dim, out, i * dim);
        });
    }
}
