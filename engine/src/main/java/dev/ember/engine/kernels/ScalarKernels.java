package dev.ember.engine.kernels;


import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Plain-Java reference kernels: obviously correct, slow. The Vector API kernels are tested
 * against these. Each output element is a sequential sum in element order, so results never
 * depend on the other rows of a batch.
 */
final class ScalarKernels implements Kernels {
    /** Output rows per parallel task: large enough to amortize the hand-off, small enough to balance. */
    private static final int ROWS_PER_TASK = 16;

    /** Per thread: a row's block scales and block mins. */
    private static final ThreadLocal<float[][]> SCALES = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    @Override
    public String name() { return "scalar"; }

    @Override
    public void matmul(WorkerPool pool, WeightMatrix w, float[] in, int rows, float[] out) {
        int n = w.rows();
        int k = w.cols();
        checkMatmul(w, in, rows, out);
        int tasks = (n + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        int blocks = (k + Dequant.MATMUL_BLOCK - 1) / Dequant.MATMUL_BLOCK;
        boolean hasMins = Dequant.hasBlockMins(w.type());
        float[] x = in, xd = null;
        if (ActivationQuant.applies(w.type())) {
            x = new float[rows * k];
            xd = new float[rows * blocks];
            ActivationQuant.quantize(in, rows, k, x, xd);
        }
        float[] input = x, inputScales = xd;
        pool.parallelFor(tasks, t -> {
            float[] values = scratch(k);
            float[][] sm = SCALES.get();
            if (sm[0].length < blocks) SCALES.set(sm = new float[][] {new float[blocks], new float[blocks]});
            float[] scales = sm[0], mins = hasMins ? sm[1] : null;
            int end = Math.min(n, (t + 1) * ROWS_PER_TASK);
            for (int j = t * ROWS_PER_TASK; j < end; j++) {
                Dequant.blockRow(w, j, values, scales, sm[1]);
                for (int r = 0; r < rows; r++) {
                    out[r * n + j] = blockedDot(values, scales, mins, input, r * k, k, inputScales, r * blocks);
                }
            }
        });
    }

    static void checkMatmul(WeightMatrix w, float[] in, int rows, float[] out) {
        if (rows < 0) throw new IllegalArgumentException("rows < 0: " + rows);
        if (!Dequant.supports(w.type())) throw new IllegalArgumentException(w.name() + ": " + w.type() + " is not a matmul weight type");
        if ((long) rows * w.cols() > in.length) {
            throw new IllegalArgumentException(w.name() + ": input has " + in.length + " floats, need " + (long) rows * w.cols());
        }
        if ((long) rows * w.rows() > out.length) {
            throw new IllegalArgumentException(w.name() + ": output has " + out.length + " floats, need " + (long) rows * w.rows());
        }
    }

    private static float[] scratch(int k) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < k) holder[0] = new float[k];
        return holder[0];
    }

    /**
     * The matmul reduction order that every kernel follows: per block of 32 inputs a sequential
     * fused sum of value times input, then {@code acc = fma(scale, blockSum, acc)}, then for the
     * types with mins {@code acc = fma(min, inputSum, acc)} (see {@link Dequant#blockRow}). For a
     * type with int8 activations ({@link ActivationQuant}) x holds the integers, the block sum is
     * exact, and it is multiplied by the block's input scale {@code xd[xdOff + b]} first; so is
     * the input sum of the min term.
     */
    private static float blockedDot(float[] values, float[] scales, float[] mins, float[] x, int xOff, int k, float[] xd, int xdOff) {
        float acc = 0f;
        for (int b = 0, i0 = 0; i0 < k; b++, i0 += Dequant.MATMUL_BLOCK) {
            float s = 0f;
            int end = Math.min(k, i0 + Dequant.MATMUL_BLOCK);
            for (int i = i0; i < end; i++) s = Math.fma(values[i], x[xOff + i], s);
            if (xd != null) s *= xd[xdOff + b];
            acc = Math.fma(scales[b], s, acc);
            if (mins != null) {
                float xs = Dequant.blockInputSum(x, xOff + i0, end - i0);
                if (xd != null) xs *= xd[xdOff + b];
                acc = Math.fma(mins[b], xs, acc);
            }
        }
        return acc;
    }

    private static float dotSeq(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOff) {
        Dequant.row(w, row, dst, dstOff);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return dotSeq(a, aOff, b, bOff, n);
    }


    @Override
    public void scoresBlock(float[] q, int qOff, float[] keys, int keyOff, int dim, int bs, float[] out, int outOff) {
        for (int j = 0; j < bs; j++) {
            float acc = 0f;
            for (int d = 0; d < dim; d++) acc = Math.fma(q[qOff + d], keys[keyOff + d * bs + j], acc);
            out[outOff + j] = acc;
        }
    }

    @Override
    public void accumulateRows(float[] w, int wOff, float[] rows, int rowOff, int stride, int count, float[] out, int outOff, int dim) {
        for (int t = 0; t < count; t++) {
            float a = w[wOff + t];
            for (int i = 0; i < dim; i++) out[outOff + i] = Math.fma(rows[rowOff + t * stride + i], a, out[outOff + i]);
        }
    }

    @Override
    public double sumExp(float[] x, int off, int n, float max) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp((double) x[off + i] - max);
        return sum;
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], alpha, y[yOff + i]);
    }

    @Override
    public void rmsnorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        float ss = 0f;
        for (int i = 0; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * scale * weight[i];
    }

    @Override
    public void gelu(float[] x, int off, int n) {
        ExactGelu.apply(x, off, n);
    }

    @Override
    public void siluMul(float[] gate, int gateOff, float[] up, int upOff, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gateOff + i];
            gate[gateOff + i] = g / (1f + (float) Math.exp(-g)) * up[upOff + i];
        }
    }

    @Override
    public void sinkhorn(float[] m, int off, int n, int iterations, float eps) {
        sinkhornScalar(m, off, n, iterations, eps);
    }

    static void sinkhornScalar(float[] m, int off, int n, int iterations, float eps) {
        normalizeColumns(m, off, n, eps);
        for (int it = 1; it < iterations; it++) {
            normalizeRows(m, off, n, eps);
            normalizeColumns(m, off, n, eps);
        }
    }

    private static void normalizeColumns(float[] m, int off, int n, float eps) {
        for (int c = 0; c < n; c++) {
            float sum = 0;
            for (int j = 0; j < n; j++) sum += m[off + j * n + c];
            for (int j = 0; j < n; j++) m[off + j * n + c] /= sum + eps;
        }
    }

    private static void normalizeRows(float[] m, int off, int n, float eps) {
        for (int j = 0; j < n; j++) {
            float sum = 0;
            for (int c = 0; c < n; c++) sum += m[off + j * n + c];
            for (int c = 0; c < n; c++) m[off + j * n + c] /= sum + eps;
        }
    }

    @Override
    public void softmax(float[] x, int off, int n, float sink) {
        float max = sink;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = (float) Math.exp(sink - max);
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    @Override
    public void add(float[] acc, int accOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) acc[accOff + i] += x[xOff + i];
    }
}
