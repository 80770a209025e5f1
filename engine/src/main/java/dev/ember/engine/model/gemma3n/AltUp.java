package dev.ember.engine.model.gemma3n;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.model.RmsNorm;

/**
 * Gemma 3n's alternating updates ({@code Gemma3nTextAltUp}): the residual is {@code inputs}
 * streams per token, of which only stream {@code active} goes through the layer. Before the
 * layer, every stream is predicted as itself plus a mix of all streams
 * ({@code pred_i = x_i + Σ_j c_ij · x_j}); after it, each prediction is corrected by the layer's
 * innovation on the active stream ({@code pred_i + (y - pred_active) · (1 + d_i)}). The mixing
 * coefficients come from a router on the active stream: {@code tanh(router · rmsnorm(x) / dim)}
 * times a small learned matrix (n² outputs to predict, n to correct).
 *
 * <p>Transformers clamps the coefficient matrices to ±{@code altup_coef_clip} only while training
 * (the prediction weights in place, so a trained checkpoint already lies within the clip); at
 * inference neither transformers nor llama.cpp clips, and neither does this.
 *
 * <p>The matrices are tiny ({@code inputs × dim} at most), held as floats and summed in double in
 * index order, so a row's result never depends on its batch.
 *
 * @param router       {@code inputs × dim}, row-major
 * @param predictCoefs {@code inputs² × inputs}, row-major (output {@code i·n + j} is c_ij)
 * @param correctCoefs {@code inputs × inputs}, row-major
 * @param correctScale scales the corrected active stream before the per-layer input gate (null: none)
 */
public record AltUp(RmsNorm routerNorm, float[] router, float[] predictCoefs, float[] correctCoefs, float[] correctScale,
                    int inputs, int active, int dim) {

    /** The router's outputs for {@code rows} rows of {@code x}: {@code rows × inputs}. */
    private float[] modalities(Kernels k, float[] x, int rows) {
        int n = inputs;
        float[] out = new float[rows * n];
        float[] normed = new float[dim];
        float scale = 1f / dim;
        for (int r = 0; r < rows; r++) {
            routerNorm.apply(k, x, r * dim, normed, 0, 1);
            for (int d = 0; d < dim; d++) normed[d] *= scale;
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int d = 0; d < dim; d++) s += (double) router[j * dim + d] * normed[d];
                out[r * n + j] = (float) StrictMath.tanh((float) s);
            }
        }
        return out;
    }

    /** Mixes {@code m}'s row into {@code coefs.length / inputs} coefficients: {@code coefs · m}. */
    private static float mix(float[] coefs, int row, int n, float[] m, int off) {
        double s = 0;
        for (int q = 0; q < n; q++) s += (double) coefs[row * n + q] * m[off + q];
        return (float) s;
    }

    /** The predictions of every stream ({@code streams[i]}: {@code rows × dim}), before the layer. */
    public float[][] predict(Kernels k, float[][] streams, int rows) {
        int n = inputs;
        float[] m = modalities(k, streams[active], rows);
        float[][] pred = new float[n][rows * dim];
        float[] c = new float[n * n];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < n * n; o++) c[o] = mix(predictCoefs, o, n, m, r * n);
            for (int i = 0; i < n; i++) {
                for (int d = r * dim; d < (r + 1) * dim; d++) {
                    float s = 0;
                    for (int j = 0; j < n; j++) s += streams[j][d] * c[i * n + j];
                    pred[i][d] = s + streams[i][d];
                }
            }
        }
        return pred;
    }

    /** Corrects {@code pred} in place by the layer's output {@code activated} on the active stream. */
    public void correct(Kernels k, float[][] pred, float[] activated, int rows) {
        int n = inputs;
        float[] m = modalities(k, activated, rows);
        float[] innovation = new float[dim];
        for (int r = 0; r < rows; r++) {
            for (int d = 0; d < dim; d++) innovation[d] = activated[r * dim + d] - pred[active][r * dim + d];
            for (int i = 0; i < n; i++) {
                float coef = mix(correctCoefs, i, n, m, r * n) + 1f;
                for (int d = 0; d < dim; d++) pred[i][r * dim + d] += innovation[d] * coef;
            }
        }
    }
}
