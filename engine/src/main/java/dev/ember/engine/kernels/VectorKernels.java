package dev.ember.engine.kernels;

import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.L;

/**
 * Kernels on the Vector API (the preferred species: 256-bit on AVX2, 512-bit with AVX-512).
 * The matmul loops and their one reduction order, which makes every token's result independent of
 * the batch around it, are in {@link Matmul}; block decoders in {@link VectorBlocks}.
 */
final class VectorKernels implements Kernels {
    /** Output rows per parallel task for a single token (decode): a few microseconds of streaming each. */
    private static final int DECODE_ROWS_PER_TASK = 32;

    private final String name = "vector-" + FS.vectorBitSize();

    private static final ThreadLocal<MatmulJob> JOBS = ThreadLocal.withInitial(MatmulJob::new);
    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static boolean supported() {
        // Block decoders assume a vector never spans two 32-element blocks nor a Q6_K scale group, and
        // that L bytes form a whole vector shape (64 bits at least).
        return L >= 8 && L <= 16;
    }

    @Override
    public String name() { return name; }

    /** Per-thread buffers, reused across calls so the hot path allocates nothing. */
    static final class Scratch {
        float[] panel = new float[0];
        /** Room for the six accumulator sums of a 2x3 tile. */
        final float[] lanes = new float[6 * L];

        float[] panel(int size) {
            if (panel.length < size) panel = new float[size];
            return panel;
        }
    }

    /**
     * The parallel loop body of one matmul call. One instance per calling thread, refilled per
     * call, so starting a parallel region allocates nothing; the pool's region hand-off publishes
     * the fields to the workers.
     */
    static final class MatmulJob implements WorkerPool.Task {
        WeightMatrix w;
        MemorySegment seg;
        long rowBytes;
        float[] in;
        float[] out;
        int rows;
        int n;
        int k;
        int rowsPerTask;

        @Override
        public void run(int t) {
            int j0 = t * rowsPerTask;
            int j1 = Math.min(n, j0 + rowsPerTask);
            Scratch s = SCRATCH.get();
            if (rows == 1) {
                Matmul.decode(w.type(), seg, rowBytes, k, in, out, j0, j1, s);
            } else {
                Matmul.gemm(w.type(), seg, rowBytes, k, in, rows, out, n, j0, j1, s);
            }
        }

        void clear() {
            w = null; seg = null; in = null; out = null;
        }
    }

    @Override
    public void matmul(WorkerPool pool, WeightMatrix w, float[] in, int rows, float[] out) {
        ScalarKernels.checkMatmul(w, in, rows, out);
        if (rows == 0 || w.rows() == 0) return;
        MatmulJob job = JOBS.get();
        job.w = w;
        job.seg = w.data();
        job.rowBytes = w.rowBytes();
        job.in = in;
        job.out = out;
        job.rows = rows;
        job.n = w.rows();
        job.k = w.cols();
        job.rowsPerTask = rows == 1 ? DECODE_ROWS_PER_TASK : Matmul.panelRows(w.cols());
        int tasks = (job.n + job.rowsPerTask - 1) / job.rowsPerTask;
        try {
            pool.parallelFor(tasks, job);
        } finally {
            job.clear();
        }
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOff) {
        VectorBlocks.decodeRow(w.type(), w.data(), w.rowBytes() * row, w.cols(), dst, dstOff);
    }

    /**
     * Sums {@code lanes[off .. off + L)} in a fixed order: a pairwise tree, lane i with lane i + L/2,
     * then halves again. {@code reduceLanes} leaves its order unspecified, so it is not used for
     * results that must be reproducible. Callers store the vector themselves (see Matmul#finish).
     */
    static float tree(float[] lanes, int off) {
        for (int w = L / 2; w >= 1; w >>= 1) {
            for (int i = 0; i < w; i++) lanes[off + i] += lanes[off + i + w];
        }
        return lanes[off];
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return Matmul.dot1(a, aOff, b, bOff, n, SCRATCH.get().lanes);
    }

    @Override
    public int keyBlock() { return KEY_BLOCK; }

    /** Each key's lane is one fma chain over the dimensions, as in the scalar kernels: the same bits. */
    @Override
    public void dotsBlock(float[] q, int qOff, float[] block, int blockOff, int dim, float[] out, int outOff) {
        for (int j = 0; j < KEY_BLOCK; j += L) {
            FloatVector acc = FloatVector.zero(FS);
            for (int i = 0; i < dim; i++) {
                acc = FloatVector.fromArray(FS, block, blockOff + i * KEY_BLOCK + j).fma(FloatVector.broadcast(FS, q[qOff + i]), acc);
            }
            acc.intoArray(out, outOff + j);
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(FS, alpha);
        int i = 0;
        int bound = FS.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(FS, x, xOff + i).fma(a, FloatVector.fromArray(FS, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], alpha, y[yOff + i]);
    }

    @Override
    public void rmsnorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        int bound = FS.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(FS, x, xOff + i);
            acc = v.fma(v, acc);
        }
        float[] lanes = SCRATCH.get().lanes;
        acc.intoArray(lanes, 0);
        float ss = tree(lanes, 0);
        for (; i < n; i++) ss = Math.fma(x[xOff + i], x[xOff + i], ss);
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        FloatVector sv = FloatVector.broadcast(FS, scale);
        for (i = 0; i < bound; i += L) {
            FloatVector.fromArray(FS, x, xOff + i).mul(sv).mul(FloatVector.fromArray(FS, weight, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * scale * weight[i];
    }

    @Override
    public void siluMul(float[] gate, int gateOff, float[] up, int upOff, int n) {
        FloatVector one = FloatVector.broadcast(FS, 1f);
        int i = 0;
        int bound = FS.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(FS, gate, gateOff + i);
            FloatVector e = DeterministicExp.exp(g.neg()).add(one);
            g.div(e).mul(FloatVector.fromArray(FS, up, upOff + i)).intoArray(gate, gateOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gateOff + i];
            gate[gateOff + i] = g / (DeterministicExp.exp(-g) + 1f) * up[upOff + i];
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        int bound = FS.loopBound(n);
        int i = 0;
        FloatVector mv = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += L) mv = mv.max(FloatVector.fromArray(FS, x, off + i));
        float max = mv.reduceLanes(VectorOperators.MAX); // max is exact whatever the order
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector m = FloatVector.broadcast(FS, max);
        FloatVector acc = FloatVector.zero(FS);
        for (i = 0; i < bound; i += L) {
            FloatVector e = DeterministicExp.exp(FloatVector.fromArray(FS, x, off + i).sub(m));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float[] lanes = SCRATCH.get().lanes;
        acc.intoArray(lanes, 0);
        float sum = tree(lanes, 0);
        for (; i < n; i++) {
            float e = DeterministicExp.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        FloatVector iv = FloatVector.broadcast(FS, inv);
        for (i = 0; i < bound; i += L) FloatVector.fromArray(FS, x, off + i).mul(iv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    @Override
    public void add(float[] acc, int accOff, float[] x, int xOff, int n) {
        int i = 0;
        int bound = FS.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(FS, acc, accOff + i).add(FloatVector.fromArray(FS, x, xOff + i)).intoArray(acc, accOff + i);
        }
        for (; i < n; i++) acc[accOff + i] += x[xOff + i];
    }
}
