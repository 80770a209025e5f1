package dev.ember.engine.kernels;


import dev.ember.engine.tensor.WeightMatrix;

/**
 * The compute kernels of the engine. Model code calls only these; vector species and block
 * layouts stay behind this interface (Lucene's pattern). Two implementations exist, a Vector API
 * one and a scalar reference, chosen once at startup by {@link #get()}.
 *
 * <p><b>Batch invariance.</b> For every kernel, the result for one activation row is bit-for-bit
 * the same whatever other rows are in the call and however many there are: a row's reduction
 * order is fixed and never split by batch size. The batch engine's determinism relies on this.
 *
 * <p>Activations are row-major {@code float[]}; weights are {@link WeightMatrix} views over
 * memory-mapped GGUF or safetensors data in their stored type.
 */
public interface Kernels {

    /** The implementation chosen for this JVM: Vector API when available, unless {@code -Dember.kernels=scalar}. */
    static Kernels get() {
        return KernelsProvider.INSTANCE;
    }

    /** Short name for logs and benchmarks ("vector-256", "scalar"). */
    String name();

    /**
     * Linear layer over a batch: {@code out[r*n + j] = Σ_i in[r*k + i] · W[j, i]} for
     * {@code r < rows}, where {@code n = w.rows()} and {@code k = w.cols()}. Each weight block is
     * read once for all rows. Work is spread over {@code pool} by output rows.
     */
    void matmul(WorkerPool pool, WeightMatrix w, float[] in, int rows, float[] out);

    /**
     * {@code w} in the layout this implementation computes fastest from: the vector kernels copy
     * Q8_0, Q4_0, Q4_K, Q5_K, Q6_K and float matrices into {@link dev.ember.engine.tensor.Interleaved}
     * groups once at load (about the same size, plus padding to a whole group; Q6_K's unpacked
     * quants take 30 % more); others are returned as they are. Results
     * are the same either way within the reduction order's tolerance, and a given matrix object
     * always computes the same way.
     */
    default WeightMatrix prepare(WeightMatrix w) {
        return w;
    }

    /**
     * {@code matmul(ws[i], in, rows, outs[i])} for every i: several layers reading one input (Q, K
     * and V; gate and up). Implementations may run them as one parallel region; each output is
     * exactly what its own matmul gives.
     */
    default void matmuls(WorkerPool pool, WeightMatrix[] ws, float[] in, int rows, float[][] outs) {
        for (int i = 0; i < ws.length; i++) matmul(pool, ws[i], in, rows, outs[i]);
    }

    /** Writes row {@code row} of {@code w}, dequantized, to {@code dst[dstOff .. dstOff + w.cols())}. */
    void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOff);

    /** {@code Σ a[aOff + i] · b[bOff + i]} for i < n. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code y[yOff + i] += alpha · x[xOff + i]} for i < n. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code out = x / rms(x) · weight}, with {@code rms = sqrt(mean(x²) + eps)}; out may alias x. */
    void rmsnorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n);

    /**
     * The exact GELU in place, {@code x · Φ(x) = x/2 · (1 + erf(x/√2))} (BERT's
     * {@code hidden_act="gelu"}, not the tanh form), within 1e-6 relative of the exact value.
     */
    void gelu(float[] x, int off, int n);

    /** {@code gate[i] = silu(gate[i]) · up[i]} (SwiGLU's elementwise part). */
    void siluMul(float[] gate, int gateOff, float[] up, int upOff, int n);

    /** In-place softmax over {@code x[off .. off + n)}. */
    default void softmax(float[] x, int off, int n) {
        softmax(x, off, n, Float.NEGATIVE_INFINITY);
    }

    /**
     * In-place softmax over {@code x[off .. off + n)} and one more logit, {@code sink}, whose
     * probability is dropped (an attention sink takes probability mass but has no value). With
     * {@code sink = -∞} this is the plain softmax, bit for bit: the sink's term is an exact 0.
     */
    void softmax(float[] x, int off, int n, float sink);

    /**
     * Keys per block of the key-block layout that {@link #dotsBlock} reads: a block holds
     * {@code keyBlock()} keys of {@code dim} floats, dimension-major (element {@code i} of key
     * {@code j} at {@code i * keyBlock() + j}), so one pass yields that many dot products with no
     * horizontal reduction. The same in every implementation ({@link #KEY_BLOCK}), so a layout
     * built for one kernels object is read correctly by any other.
     */
    default int keyBlock() { return KEY_BLOCK; }

    /** Keys per block of the {@link #dotsBlock} layout, in every implementation. */
    int KEY_BLOCK = 16;

    /** {@code out[outOff + j] = Σ_i q[qOff + i] · block[blockOff + i·keyBlock() + j]} for j < keyBlock(). */
    default void dotsBlock(float[] q, int qOff, float[] block, int blockOff, int dim, float[] out, int outOff) {
        scoresBlock(q, qOff, block, blockOff, dim, KEY_BLOCK, out, outOff);
    }

    /**
     * Attention scores against one cache block whose keys are stored dimension-major: for
     * {@code j < bs}, {@code out[outOff + j] = Σ_d q[qOff + d] · keys[keyOff + d*bs + j]}, each a
     * sequential fused sum over d (the scalar reference's order), so a key's score is the same
     * bits whatever else is computed beside it.
     */
    void scoresBlock(float[] q, int qOff, float[] keys, int keyOff, int dim, int bs, float[] out, int outOff);

    /**
     * {@link #scoresBlock} for {@code nq} queries against the same block: query i at
     * {@code qOff + i*qStride}, its scores at {@code outOff + i*outStride}. Each score is computed
     * exactly as by {@link #scoresBlock}; implementations share each key load among the queries,
     * and their independent sums hide the fused multiply-add latency that one query's single
     * chain per key vector cannot.
     */
    default void scoresBlocks(float[] q, int qOff, int qStride, int nq, float[] keys, int keyOff, int dim, int bs,
                              float[] out, int outOff, int outStride) {
        for (int i = 0; i < nq; i++) scoresBlock(q, qOff + i * qStride, keys, keyOff, dim, bs, out, outOff + i * outStride);
    }

    /**
     * {@link #scoresBlocks} against {@code blocks} cache blocks stored back to back (block b's
     * keys at {@code keyOff + b*dim*bs}), whose scores follow each other too (block b's at
     * {@code outOff + b*bs}): a decode row's group of heads against a run of its blocks. Each
     * score is computed exactly as by {@link #scoresBlock}; implementations run the blocks' sums
     * side by side, which a group of one or two heads needs to keep the FMA pipes busy.
     */
    default void scoresBlockRun(float[] q, int qOff, int qStride, int nq, float[] keys, int keyOff, int blocks, int dim, int bs,
                                float[] out, int outOff, int outStride) {
        for (int b = 0; b < blocks; b++) scoresBlocks(q, qOff, qStride, nq, keys, keyOff + b * dim * bs, dim, bs, out, outOff + b * bs, outStride);
    }

    /**
     * Value accumulation: {@code out[outOff + i] = fma(rows[rowOff + t*stride + i], w[wOff + t], out[outOff + i])}
     * for t = 0 .. count-1 in order, i < dim: the same operations as {@code count} calls of
     * {@link #axpy}, with the output kept in registers across rows.
     */
    void accumulateRows(float[] w, int wOff, float[] rows, int rowOff, int stride, int count, float[] out, int outOff, int dim);

    /**
     * {@link #accumulateRows} for {@code nq} outputs over the same rows: output i at
     * {@code outOff + i*outStride} with weights at {@code wOff + i*wStride}, each computed exactly
     * as by {@link #accumulateRows}; implementations share each row load among the outputs.
     */
    default void accumulateRowsMany(float[] w, int wOff, int wStride, int nq, float[] rows, int rowOff, int stride, int count,
                                    float[] out, int outOff, int outStride, int dim) {
        for (int i = 0; i < nq; i++) accumulateRows(w, wOff + i * wStride, rows, rowOff, stride, count, out, outOff + i * outStride, dim);
    }

    /**
     * {@code Σ exp(x[off + i] - max)} for i < n, accumulated in double: the log-softmax
     * denominator of a vocabulary row (scoring, log-probs). Deterministic for a given row.
     */
    double sumExp(float[] x, int off, int n, float max);

    /**
     * The largest of {@code x[off .. off + n)} ({@link Math#max} semantics, so NaN if any element
     * is NaN), or -infinity for n = 0: exact whatever the order, the same on every path.
     */
    float max(float[] x, int off, int n);

    /**
     * Sinkhorn balancing of the n×n matrix at {@code m[off ..]} (row-major), in place: a column
     * pass, then {@code iterations - 1} times a row pass and a column pass. A pass divides each
     * element by its line's sum (added in index order) plus {@code eps}. Every path gives the
     * scalar reference's bits: the sums keep their order and the divisions stay divisions.
     */
    void sinkhorn(float[] m, int off, int n, int iterations, float eps);

    /** {@code acc[accOff + i] += x[xOff + i]}. */
    void add(float[] acc, int accOff, float[] x, int xOff, int n);
}
