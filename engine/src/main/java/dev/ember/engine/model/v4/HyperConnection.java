package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Manifold-constrained hyper-connections (mHC): the residual is {@code n} streams per token.
 * Before a block, the streams are collapsed into the block input with weights {@code pre}; after
 * it, each stream becomes {@code post_k · out + Σ_j comb[j][k] · X_j}, where {@code comb} is a
 * Sinkhorn-projected (doubly stochastic) mixing matrix. All weights are computed per token from
 * the RMS-normalized streams: {@code z = Φ·u}, split into pre (n), post (n) and comb (n×n).
 *
 * @param fn    Φ, {@code (2+n)·n} rows over {@code n·D} inputs
 * @param base  the static part of the logits, {@code (2+n)·n}
 * @param scale the three scalars for pre, post and comb
 */
record HyperConnection(WeightMatrix fn, float[] base, float[] scale, int streams, int dim, int sinkhornIters, float eps, float rmsEps) {

    /** Per-token mixing weights of one block call. */
    record Mix(float[] post, float[] comb, float[] collapsed) {}

    /**
     * Computes the weights for every row of {@code x} ([rows × n × D]) and the collapsed block
     * inputs. Rows are independent, so they are spread over the pool; each row's arithmetic is the
     * same whichever thread runs it.
     */
    Mix pre(Kernels k, WorkerPool pool, float[] x, int rows) {
        int n = streams, nd = n * dim, mixes = (2 + n) * n;
        float[] u = new float[rows * nd];
        float[] ones = ones(nd);
        pool.parallelFor(rows, r -> k.rmsnorm(x, r * nd, ones, rmsEps, u, r * nd, nd));
        float[] z = new float[rows * mixes];
        k.matmul(pool, fn, u, rows, z);
        float[] post = new float[rows * n];
        float[] comb = new float[rows * n * n];
        float[] collapsed = new float[rows * dim];
        pool.parallelFor(rows, r -> {
            float[] pre = new float[n];
            int zo = r * mixes;
            for (int j = 0; j < n; j++) {
                pre[j] = sigmoid(z[zo + j] * scale[0] + base[j]) + eps;
                post[r * n + j] = 2 * sigmoid(z[zo + n + j] * scale[1] + base[n + j]);
            }
            int co = r * n * n;
            for (int j = 0; j < n; j++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < n; c++) {
                    float v = z[zo + 2 * n + j * n + c] * scale[2] + base[2 * n + j * n + c];
                    comb[co + j * n + c] = v;
                    max = Math.max(max, v);
                }
                float sum = 0;
                for (int c = 0; c < n; c++) {
                    float e = (float) Math.exp(comb[co + j * n + c] - max);
                    comb[co + j * n + c] = e;
                    sum += e;
                }
                for (int c = 0; c < n; c++) comb[co + j * n + c] = comb[co + j * n + c] / sum + eps;
            }
            k.sinkhorn(comb, co, n, sinkhornIters, eps);
            collapse(k, x, r * nd, pre, n, dim, collapsed, r * dim);
        });
        return new Mix(post, comb, collapsed);
    }

    /**
     * The streams after the block: {@code post_k · out + Σ_j comb[j][k] · X_j}, per element the
     * product with post, then fused multiply-adds in increasing j, into a new array (the caller
     * swaps it in: each of a row's new streams reads all of its old ones). Rows are spread over the pool.
     */
    float[] post(Kernels k, WorkerPool pool, Mix mix, float[] out, float[] x, int rows) {
        int n = streams, nd = n * dim;
        float[] comb = mix.comb();
        float[] mixed = new float[rows * nd];
        pool.parallelFor(rows, r -> {
            int xo = r * nd, co = r * n * n, oo = r * dim;
            for (int s = 0; s < n; s++) {
                int mo = xo + s * dim;
                k.axpy(mix.post()[r * n + s], out, oo, mixed, mo, dim); // into zeros: exactly the product
                for (int j = 0; j < n; j++) k.axpy(comb[co + j * n + s], x, xo + j * dim, mixed, mo, dim);
            }
        });
        return mixed;
    }

    /**
     * The weights of an unweighted RMSNorm over all streams (each row scaled by
     * 1/sqrt(mean(x²) + eps)): the kernel's RMSNorm with unit weights, an exact multiply by 1.
     */
    static float[] ones(int n) {
        float[] w = new float[n];
        java.util.Arrays.fill(w, 1f);
        return w;
    }

    /** {@code out = Σ_j weights[j] · X_j}, fused multiply-adds in increasing j per element. */
    static void collapse(Kernels k, float[] x, int xo, float[] weights, int n, int dim, float[] out, int oo) {
        java.util.Arrays.fill(out, oo, oo + dim, 0f);
        for (int j = 0; j < n; j++) k.axpy(weights[j], x, xo + j * dim, out, oo, dim);
    }

    static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }
}
