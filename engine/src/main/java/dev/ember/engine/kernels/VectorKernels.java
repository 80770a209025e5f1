package dev.ember.engine.kernels;


import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Interleaved;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.Arena;
import dev.ember.engine.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.L;

/**
 * Kernels on the Vector API (the preferred species: 256-bit on AVX2, 512-bit with AVX-512).
 * The matmul loops and their one reduction order, which makes every token's result independent of
 * the batch around it, are in {@link Matmul}; block decoders in {@link VectorBlocks}.
 */
final class VectorKernels implements Kernels {
    /**
     * Whether the interleaved kernels may hold 12 or more accumulators (six-token tiles, Q8_0's
     * four-stream decode): {@link VectorBlocks#WIDE_REGISTER_FILE} on this machine; tests run both.
     */
    private final boolean wideRegisterFile;

    VectorKernels() {
        this(VectorBlocks.WIDE_REGISTER_FILE);
    }

    VectorKernels(boolean wideRegisterFile) {
        this.wideRegisterFile = wideRegisterFile;
    }

    /** Output rows per parallel task for a single token (decode): a few microseconds of streaming each. */
    private static final int DECODE_ROWS_PER_TASK = 32;
    /**
     * Parallel tasks per pool thread for a single token over interleaved groups: each task is one
     * contiguous run of groups. Q4_0, the K-quants and the float types read a run as one stream,
     * and on this VM a core streams one long run far faster than many short ones (KernelBench,
     * Q4_0 decode over 28 layers: runs of 2 groups 22 GB/s, 8 groups 32 GB/s, half the matrix
     * 37-42 GB/s), so they take one run per thread (four for Q4_K and Q6_K once their decode was
     * integer: no difference beyond noise on a Zen 3 VM). Q8_0 reads a run as several streams at
     * once (see InterleavedMatmul.decode), which keeps shorter runs fast, and with four runs per thread a
     * thread that is slowed or starts late leaves its last runs to the other (a decode profile
     * had each thread waiting for the other a quarter to half of the time with one run each;
     * `ember bench -p 1 -n 256`, seven alternating runs, Q8_0 median 51.2 -> 56.7 tok/s,
     * Q4_K_M 49.3 -> 53.3; Q4_0 fell 91 -> 82 with four, so it keeps one). Q8_0 decode with 32
     * vector registers takes shrinking runs instead ({@link MatmulJob#shrinkingRuns}).
     */
    private static int decodeTasksPerThread(TensorType type) {
        return InterleavedMatmul.decodesInStreams(type) ? 4 : 1;
    }
    /**
     * Up to this many tokens an interleaved matmul's tasks are such runs too; above, one group per
     * task, for balance. Measured with `ember bench --scenario decode-batch` (qwen3-0.6b Q8_0,
     * alternating runs): runs raised B=8 from 89-99 to 101-105 tok/s and did not help B=32.
     */
    private static final int CONTIGUOUS_RUN_ROWS = 8;
    /**
     * Below this many tokens (two or three), an interleaved matmul runs the one-token decode
     * kernel for each token: the block tiles convert a block's weights for only two or three
     * tokens, and ran far slower. KernelBench on the Zen 3 VM, one thread, GFLOP/s mean, block
     * tiles at 2 / 3 tokens against one-token decode: Q4_0 15.2 / 19.1 against 44.1, Q4_K 15.1 /
     * 16.3 against 31.9, Q6_K 13.1 / 17.0 against 23.6, Q8_0 16.5 / 19.2 against 22.1; at 4 tokens
     * the tiles caught up (Q4_0 38.0, Q6_K 31.8, Q8_0 40.9). The decode kernels give the GEMM's bits
     * (InterleavedMatmulTest), so a row's result does not change. Set by
     * {@code -Dember.kernels.perTokenDecodeRows}.
     */
    private static final int PER_TOKEN_DECODE_ROWS = Integer.getInteger("ember.kernels.perTokenDecodeRows", 4);
    /** Groups per step of per-token decode: at most about 400 KB of weights, inside L2. */
    private static final int PER_TOKEN_GROUPS = 4;
    /** Set {@code -Dember.kernels.interleave=false} to compute from the row-major layout (no copy at load). */
    private static final boolean INTERLEAVE = Boolean.parseBoolean(System.getProperty("ember.kernels.interleave", "true"));

    private final String name = "vector-" + FS.vectorBitSize();

    /** Most matmuls one fused region runs. */
    private static final int MAX_FUSED = 4;
    /** Per calling thread: slot 0 for a single matmul, slots 1.. for a fused region's matmuls. */
    private static final ThreadLocal<MatmulJob[]> JOBS = ThreadLocal.withInitial(() -> {
        MatmulJob[] j = new MatmulJob[MAX_FUSED + 1];
        for (int i = 0; i < j.length; i++) j[i] = new MatmulJob();
        return j;
    });
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
        float[] block = new float[0];
        /** Room for the six accumulator sums of a 2x3 tile. */
        final float[] lanes = new float[6 * L];
        /** The accumulators of one interleaved GEMM tile. */
        final float[] tile = new float[12 * InterleavedMatmul.R];
        /** The row scales of one interleaved block in up to four groups (decode reads four at once). */
        final float[] scales = new float[4 * InterleavedMatmul.R];
        /** One interleaved block's row mins (Q4_K, Q5_K). */
        final float[] mins = new float[2 * InterleavedMatmul.R];

        float[] panel(int size) {
            if (panel.length < size) panel = new float[size];
            return panel;
        }

        short[] shortPanel = new short[0];
        /** One integer tile's block sums (Q4IntegerGemm). */
        final short[] blockSums = new short[8 * InterleavedMatmul.R];

        short[] shortPanel(int size) {
            if (shortPanel.length < size) shortPanel = new short[size];
            return shortPanel;
        }

        float[] block(int size) {
            if (block.length < size) block = new float[size];
            return block;
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
        /** Rows per task of a row-major matrix. */
        int rowsPerTask;
        int groups;
        /** Of an interleaved matrix, task t's groups: {@code [runStarts[t], runStarts[t + 1])}. */
        int[] runStarts = new int[0];
        boolean hasMins;
        /** Per token and 32-element block, the input sums of the min term (types with mins). */
        float[] inputSums = new float[0];
        /** The input as int8 blocks, for the types that read it so ({@link ActivationQuant#applies}). */
        ActivationQuant quantized;
        /** This job's own buffers for {@link #quantized}; a fused call's later jobs may read an earlier job's instead. */
        private final ActivationQuant ownQuant = new ActivationQuant();
        /** Per-token decode ({@link #PER_TOKEN_DECODE_ROWS}): each token's int8 blocks and input sums. */
        boolean perToken;
        ActivationQuant[] tokenQuant = new ActivationQuant[0];
        float[][] tokenSums = new float[0][];
        float[] tokenRow = new float[0];
        /** The quantized input rounded back to floats, for the row-major kernels. */
        float[] roundTrip = new float[0];
        boolean quantizes;
        /** The float GEMM's input (or its int8 values) in {@link InterleavedMatmul#tileMajor} order. */
        float[] tileMajor = new float[0];
        /** {@link Q4IntegerGemm}'s int8 input in its {@link Q4IntegerGemm#tileMajor} order. */
        short[] tileMajorShorts = new short[0];
        /** What this call's GEMM reads: this job's {@link #tileMajor} (or shorts), or an earlier fused job's. */
        float[] tileInput;
        short[] tileInputShorts;
        /** Prefill over Q4_0 and Q4_K: {@link Q4IntegerGemm}. */
        boolean integerGemm;
        /** {@link VectorKernels#wideRegisterFile} of the kernels that set this job up. */
        boolean wide;

        @Override
        public void run(int t) {
            Scratch s = SCRATCH.get();
            if (w.interleaved()) {
                int g0 = runStarts[t], g1 = runStarts[t + 1];
                float[] sums = hasMins ? inputSums : null;
                ActivationQuant q = quantizes ? quantized : null;
                if (rows == 1) InterleavedMatmul.decode(w.type(), seg, k, n, in, 0, sums, q, out, 0, g0, g1, wide, s);
                else if (perToken) { // a few groups at a time, so the later tokens find them in cache
                    for (int c0 = g0; c0 < g1; c0 += PER_TOKEN_GROUPS) {
                        int c1 = Math.min(g1, c0 + PER_TOKEN_GROUPS);
                        for (int r = 0; r < rows; r++) {
                            InterleavedMatmul.decode(w.type(), seg, k, n, in, r * k, hasMins ? tokenSums[r] : null, quantizes ? tokenQuant[r] : null,
                                    out, r * n, c0, c1, wide, s);
                        }
                    }
                }
                else if (integerGemm) Q4IntegerGemm.gemm(w.type(), seg, k, n, tileInputShorts, q.scales, q.sums, sums, rows, out, g0, g1,
                        s.shortPanel(InterleavedMatmul.R * k), s.panel(2 * InterleavedMatmul.R * (k / InterleavedMatmul.BLOCK)), s.tile, s.blockSums,
                        s.block(rows * InterleavedMatmul.R));
                else InterleavedMatmul.gemm(w.type(), seg, k, n, tileInput, sums, quantizes ? q.scales : null, rows, out, g0, g1, wide, s);
                return;
            }
            int j0 = t * rowsPerTask;
            int j1 = Math.min(n, j0 + rowsPerTask);
            if (rows == 1) {
                Matmul.decode(w.type(), seg, rowBytes, k, in, out, j0, j1, s);
            } else {
                Matmul.gemm(w.type(), seg, rowBytes, k, in, rows, out, n, j0, j1, s);
            }
        }

        /**
         * Fills the job for one matmul; returns its task count. {@code earlier}: a job set up
         * before this one in the same fused call (same input), whose int8 blocks this one may
         * read instead of quantizing the input again, or null.
         */
        int setUp(WeightMatrix w, float[] in, int rows, float[] out, int threads, boolean wide, MatmulJob earlier) {
            this.wide = wide;
            this.w = w;
            seg = w.data();
            rowBytes = w.interleaved() ? 0 : w.rowBytes();
            this.in = in;
            this.out = out;
            this.rows = rows;
            n = w.rows();
            k = w.cols();
            quantizes = ActivationQuant.applies(w.type());
            perToken = w.interleaved() && rows > 1 && rows < PER_TOKEN_DECODE_ROWS;
            integerGemm = w.interleaved() && Q4IntegerGemm.takes(w.type()) && rows >= Q4IntegerGemm.MIN_ROWS
                    && k % InterleavedMatmul.BLOCK == 0 && Q4IntegerGemm.supported();
            hasMins = w.interleaved() && Dequant.hasBlockMins(w.type());
            if (perToken) {
                setUpTokens();
            } else if (quantizes) quantizeInput(w.interleaved(), earlier);
            if (w.interleaved()) {
                if (hasMins && !perToken) { // computed once per call on the calling thread; every group reads them
                    int need = rows * ((k + Dequant.MATMUL_BLOCK - 1) / Dequant.MATMUL_BLOCK);
                    if (inputSums.length < need) inputSums = new float[need];
                    if (quantizes) InterleavedMatmul.inputSums(quantized.values, quantized.scales, rows, k, inputSums);
                    else InterleavedMatmul.inputSums(in, null, rows, k, inputSums);
                }
                // Once per call on the calling thread, like the sums; a fused call's later job of the
                // same input in the same order (Q, K and V; gate and up) reads the earlier one's.
                boolean shared = earlier != null && earlier.tileInputLike(this);
                if (integerGemm) {
                    if (shared) tileInputShorts = earlier.tileInputShorts;
                    else {
                        if (tileMajorShorts.length < rows * k) tileMajorShorts = new short[rows * k];
                        Q4IntegerGemm.tileMajor(quantized.shorts, rows, k, tileMajorShorts);
                        tileInputShorts = tileMajorShorts;
                    }
                } else if (rows > 1 && !perToken) {
                    if (shared) tileInput = earlier.tileInput;
                    else {
                        if (tileMajor.length < rows * k) tileMajor = new float[rows * k];
                        InterleavedMatmul.tileMajor(quantizes ? quantized.values : in, rows, k, InterleavedMatmul.sixTokenTiles(rows, wide, quantizes), tileMajor);
                        tileInput = tileMajor;
                    }
                }
                groups = (n + InterleavedMatmul.R - 1) / InterleavedMatmul.R;
                if (rows == 1 && wide && InterleavedMatmul.decodesInStreams(w.type())) return shrinkingRuns(threads);
                int runs = threads * (rows == 1 || perToken ? decodeTasksPerThread(w.type()) : 1);
                return equalRuns(rows <= CONTIGUOUS_RUN_ROWS ? Math.max(1, (groups + runs - 1) / runs) : 1);
            }
            rowsPerTask = rows == 1 ? DECODE_ROWS_PER_TASK : Matmul.panelRows(k);
            return (n + rowsPerTask - 1) / rowsPerTask;
        }

        /**
         * Runs that shrink as the matrix is used up: each takes what is left over twice the
         * thread count, in whole four-group steps of the four-stream Q8_0 decode kernel, down to
         * one step. A region ends when its last run does, so small last runs keep the thread that
         * finishes first from waiting long for the other. Against four equal runs per thread, a
         * Q8_0 decode profile (`ember bench -p 1 -n 128`, two alternating pairs) had the calling
         * thread waiting at region ends 3.3 % of the time before, 2.4 % after.
         */
        private int shrinkingRuns(int threads) {
            ensureRunStarts(groups / 4 + 2); // every run but the last holds four groups or more
            int count = 0;
            for (int g = 0; g < groups; count++) {
                runStarts[count] = g;
                int left = groups - g;
                int size = Math.max(4, (left / (2 * threads) + 3) / 4 * 4);
                g += Math.min(size, left);
            }
            runStarts[count] = groups;
            return count;
        }

        /** Runs of {@code perRun} groups each (the last may hold fewer); returns their count. */
        private int equalRuns(int perRun) {
            int count = (groups + perRun - 1) / perRun;
            ensureRunStarts(count + 1);
            for (int t = 0; t < count; t++) runStarts[t] = t * perRun;
            runStarts[count] = groups;
            return count;
        }

        private void ensureRunStarts(int size) {
            if (runStarts.length < size) runStarts = new int[size];
        }

        /** Each token's int8 blocks and input sums, as one-token decode forms them; on the calling thread. */
        private void setUpTokens() {
            if (!quantizes && !hasMins) return; // the float types and Q8_0 read the rows of in as they are
            int nb = (k + Dequant.MATMUL_BLOCK - 1) / Dequant.MATMUL_BLOCK;
            if (tokenQuant.length < rows) {
                ActivationQuant[] grown = java.util.Arrays.copyOf(tokenQuant, rows);
                for (int r = tokenQuant.length; r < rows; r++) grown[r] = new ActivationQuant();
                tokenQuant = grown;
                tokenSums = java.util.Arrays.copyOf(tokenSums, rows);
            }
            if (tokenRow.length < k) tokenRow = new float[k];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(in, r * k, tokenRow, 0, k);
                float[] values = tokenRow, scales = null;
                if (quantizes) {
                    tokenQuant[r].quantize(tokenRow, 1, k, false);
                    values = tokenQuant[r].values;
                    scales = tokenQuant[r].scales;
                }
                if (hasMins) {
                    if (tokenSums[r] == null || tokenSums[r].length < nb) tokenSums[r] = new float[nb];
                    InterleavedMatmul.inputSums(values, scales, 1, k, tokenSums[r]);
                }
            }
        }

        /** Computed once per call on the calling thread; every task reads them. */
        private void quantizeInput(boolean interleaved, MatmulJob earlier) {
            if (interleaved && earlier != null && earlier.quantizedLike(in, rows, k, integerGemm)) {
                quantized = earlier.quantized; // Q, K and V (or gate and up) read one input: quantize it once
                return;
            }
            quantized = ownQuant;
            quantized.quantize(in, rows, k, integerGemm);
            if (!interleaved) { // the row-major kernels multiply floats: give them the rounded-back input
                if (roundTrip.length < rows * k) roundTrip = new float[rows * k];
                ActivationQuant.roundTrip(quantized.values, quantized.scales, rows, k, roundTrip);
                in = roundTrip;
            }
        }

        /** Whether {@code later}, set up after this job in one fused call, reads this job's tile-major input as it is. */
        private boolean tileInputLike(MatmulJob later) {
            return w.interleaved() && rows > 1 && !perToken && in == later.in && rows == later.rows && k == later.k
                    && integerGemm == later.integerGemm && quantizes == later.quantizes && wide == later.wide; // so the same tile order
        }

        /** Whether this job's int8 blocks are those of {@code in} with what a job needing {@code shortsForAll} reads. */
        private boolean quantizedLike(float[] in, int rows, int k, boolean shortsForAll) {
            return quantizes && !perToken && w.interleaved() && this.in == in && this.rows == rows && this.k == k
                    && (rows == 1 || integerGemm || !shortsForAll);
        }

        void clear() {
            w = null; seg = null; in = null; out = null; tileInput = null; tileInputShorts = null;
        }
    }

    @Override
    public void matmul(WorkerPool pool, WeightMatrix w, float[] in, int rows, float[] out) {
        ScalarKernels.checkMatmul(w, in, rows, out);
        if (rows == 0 || w.rows() == 0) return;
        MatmulJob job = JOBS.get()[0];
        int tasks = job.setUp(w, in, rows, out, pool.threads(), wideRegisterFile, null);
        try {
            pool.parallelFor(tasks, job);
        } finally {
            job.clear();
        }
    }

    /** Several matmuls of one input as one parallel region: one hand-off and one barrier instead of one per matrix. */
    @Override
    public void matmuls(WorkerPool pool, WeightMatrix[] ws, float[] in, int rows, float[][] outs) {
        if (ws.length > MAX_FUSED) {
            Kernels.super.matmuls(pool, ws, in, rows, outs);
            return;
        }
        MatmulJob[] jobs = JOBS.get();
        FusedJob fused = FUSED.get();
        int total = 0;
        MatmulJob earlier = null;
        for (int i = 0; i < ws.length; i++) {
            ScalarKernels.checkMatmul(ws[i], in, rows, outs[i]);
            fused.starts[i] = total;
            if (rows == 0 || ws[i].rows() == 0) continue;
            total += jobs[i + 1].setUp(ws[i], in, rows, outs[i], pool.threads(), wideRegisterFile, earlier);
            earlier = jobs[i + 1];
        }
        fused.count = ws.length;
        fused.starts[ws.length] = total;
        fused.jobs = jobs;
        try {
            pool.parallelFor(total, fused);
        } finally {
            for (int i = 0; i < ws.length; i++) jobs[i + 1].clear();
        }
    }

    private static final ThreadLocal<FusedJob> FUSED = ThreadLocal.withInitial(FusedJob::new);

    /** Task t of a fused region runs task {@code t - starts[i]} of matmul i. */
    static final class FusedJob implements WorkerPool.Task {
        final int[] starts = new int[MAX_FUSED + 1];
        int count;
        MatmulJob[] jobs;

        @Override
        public void run(int t) {
            int i = 0;
            while (t >= starts[i + 1]) i++;
            jobs[i + 1].run(t - starts[i]);
        }
    }

    @Override
    public WeightMatrix prepare(WeightMatrix w) {
        if (!INTERLEAVE || w.interleaved() || !InterleavedMatmul.supports(w.type())) return w;
        return Interleaved.pack(w, InterleavedMatmul.R, Arena.ofAuto());
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOff) {
        if (w.interleaved()) {
            Interleaved.row(w, row, dst, dstOff);
            return;
        }
        VectorBlocks.decodeRow(w.type(), w.data(), w.rowBytes() * row, w.cols(), dst, dstOff);
    }

    /**
     * Sums {@code lanes[off .. off + L)} in a fixed order: a pairwise tree, lane i with lane i + L/2,
     * then halves again. {@code reduceLanes} leaves its order unspecified, so it is not used for
     * results that must be reproducible. Callers store the vector themselves (see Matmul#finish).
     */
    private static final VectorShuffle<Float>[] HALVES = halves();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        VectorShuffle<Float>[] s = new VectorShuffle[Integer.numberOfTrailingZeros(L)];
        for (int w = L / 2, j = 0; w >= 1; w >>= 1, j++) s[j] = FS.iotaShuffle(w, 1, true);
        return s;
    }

    /**
     * {@link #tree} of a vector's lanes without a trip through memory: lane i adds lane i + w for
     * w = L/2 .. 1, so lane 0 ends with the same sum, in the same order, as {@code tree}.
     */
    static float treeSum(FloatVector v) {
        for (VectorShuffle<Float> half : HALVES) v = v.add(v.rearrange(half));
        return v.lane(0);
    }

    static float tree(float[] lanes, int off) {
        for (int w = L / 2; w >= 1; w >>= 1) {
            for (int i = 0; i < w; i++) lanes[off + i] += lanes[off + i + w];
        }
        return lanes[off];
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return Matmul.dot1(a, aOff, b, bOff, n);
    }


    @Override
    public void scoresBlock(float[] q, int qOff, float[] keys, int keyOff, int dim, int bs, float[] out, int outOff) {
        int j = 0;
        // Two key vectors at a time where the block allows: two independent FMA chains.
        for (; j + 2 * L <= bs; j += 2 * L) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0;
            for (int d = 0, o = keyOff + j; d < dim; d++, o += bs) {
                FloatVector t = FloatVector.broadcast(FS, q[qOff + d]);
                a0 = t.fma(FloatVector.fromArray(FS, keys, o), a0);
                a1 = t.fma(FloatVector.fromArray(FS, keys, o + L), a1);
            }
            a0.intoArray(out, outOff + j);
            a1.intoArray(out, outOff + j + L);
        }
        for (; j + L <= bs; j += L) {
            FloatVector a0 = FloatVector.zero(FS);
            for (int d = 0, o = keyOff + j; d < dim; d++, o += bs) {
                a0 = FloatVector.broadcast(FS, q[qOff + d]).fma(FloatVector.fromArray(FS, keys, o), a0);
            }
            a0.intoArray(out, outOff + j);
        }
        for (; j < bs; j++) {
            float acc = 0f;
            for (int d = 0; d < dim; d++) acc = Math.fma(q[qOff + d], keys[keyOff + d * bs + j], acc);
            out[outOff + j] = acc;
        }
    }

    /** Eight, then four queries per key vector: independent fused sums that share each key load. */
    @Override
    public void scoresBlocks(float[] q, int qOff, int qStride, int nq, float[] keys, int keyOff, int dim, int bs,
                             float[] out, int outOff, int outStride) {
        int i = 0;
        int full = bs / L * L;
        for (; i + 8 <= nq; i += 8) {
            for (int j = 0; j < full; j += L) scores8(q, qOff + i * qStride, qStride, keys, keyOff + j, dim, bs, out, outOff + i * outStride + j, outStride);
            scoresTail(q, qOff + i * qStride, qStride, 8, keys, keyOff, dim, bs, full, out, outOff + i * outStride, outStride);
        }
        for (; i + 4 <= nq; i += 4) {
            for (int j = 0; j < full; j += L) scores4(q, qOff + i * qStride, qStride, keys, keyOff + j, dim, bs, out, outOff + i * outStride + j, outStride);
            scoresTail(q, qOff + i * qStride, qStride, 4, keys, keyOff, dim, bs, full, out, outOff + i * outStride, outStride);
        }
        for (; i < nq; i++) scoresBlock(q, qOff + i * qStride, keys, keyOff, dim, bs, out, outOff + i * outStride);
    }

    /**
     * One or two queries against four blocks of one key vector each (bs = L): four or eight
     * independent sums per key dimension, where one block at a time gave one or two chains of
     * {@code dim} dependent FMAs (latency-bound: a decode row of a two-head group spent a fifth of
     * an 8k-context decode profile there).
     */
    @Override
    public void scoresBlockRun(float[] q, int qOff, int qStride, int nq, float[] keys, int keyOff, int blocks, int dim, int bs,
                               float[] out, int outOff, int outStride) {
        int b = 0;
        if (bs == L && nq <= 2) {
            int kb = dim * bs;
            for (; b + 4 <= blocks; b += 4) {
                int o = keyOff + b * kb;
                if (nq == 2) scores2x4(q, qOff, qOff + qStride, keys, o, kb, dim, out, outOff + b * bs, outOff + outStride + b * bs);
                else scores1x4(q, qOff, keys, o, kb, dim, out, outOff + b * bs);
            }
        }
        for (; b < blocks; b++) scoresBlocks(q, qOff, qStride, nq, keys, keyOff + b * dim * bs, dim, bs, out, outOff + b * bs, outStride);
    }

    private static void scores2x4(float[] q, int qa, int qb, float[] keys, int o, int kb, int dim, float[] out, int oa, int ob) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int d = 0; d < dim; d++, o += L) {
            FloatVector k0 = FloatVector.fromArray(FS, keys, o), k1 = FloatVector.fromArray(FS, keys, o + kb);
            FloatVector k2 = FloatVector.fromArray(FS, keys, o + 2 * kb), k3 = FloatVector.fromArray(FS, keys, o + 3 * kb);
            FloatVector t = FloatVector.broadcast(FS, q[qa + d]);
            a0 = t.fma(k0, a0); a1 = t.fma(k1, a1); a2 = t.fma(k2, a2); a3 = t.fma(k3, a3);
            t = FloatVector.broadcast(FS, q[qb + d]);
            b0 = t.fma(k0, b0); b1 = t.fma(k1, b1); b2 = t.fma(k2, b2); b3 = t.fma(k3, b3);
        }
        a0.intoArray(out, oa); a1.intoArray(out, oa + L); a2.intoArray(out, oa + 2 * L); a3.intoArray(out, oa + 3 * L);
        b0.intoArray(out, ob); b1.intoArray(out, ob + L); b2.intoArray(out, ob + 2 * L); b3.intoArray(out, ob + 3 * L);
    }

    private static void scores1x4(float[] q, int qa, float[] keys, int o, int kb, int dim, float[] out, int oa) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < dim; d++, o += L) {
            FloatVector t = FloatVector.broadcast(FS, q[qa + d]);
            a0 = t.fma(FloatVector.fromArray(FS, keys, o), a0);
            a1 = t.fma(FloatVector.fromArray(FS, keys, o + kb), a1);
            a2 = t.fma(FloatVector.fromArray(FS, keys, o + 2 * kb), a2);
            a3 = t.fma(FloatVector.fromArray(FS, keys, o + 3 * kb), a3);
        }
        a0.intoArray(out, oa); a1.intoArray(out, oa + L); a2.intoArray(out, oa + 2 * L); a3.intoArray(out, oa + 3 * L);
    }

    private static void scoresTail(float[] q, int qOff, int qStride, int nq, float[] keys, int keyOff, int dim, int bs, int j0, float[] out, int outOff, int outStride) {
        for (int i = 0; i < nq; i++) {
            for (int j = j0; j < bs; j++) {
                float acc = 0f;
                for (int d = 0; d < dim; d++) acc = Math.fma(q[qOff + i * qStride + d], keys[keyOff + d * bs + j], acc);
                out[outOff + i * outStride + j] = acc;
            }
        }
    }

    private static void scores8(float[] q, int q0, int qs, float[] keys, int o, int dim, int bs, float[] out, int out0, int os) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int d = 0; d < dim; d++, o += bs) {
            FloatVector kv = FloatVector.fromArray(FS, keys, o);
            int qd = q0 + d;
            a0 = FloatVector.broadcast(FS, q[qd]).fma(kv, a0);
            a1 = FloatVector.broadcast(FS, q[qd + qs]).fma(kv, a1);
            a2 = FloatVector.broadcast(FS, q[qd + 2 * qs]).fma(kv, a2);
            a3 = FloatVector.broadcast(FS, q[qd + 3 * qs]).fma(kv, a3);
            a4 = FloatVector.broadcast(FS, q[qd + 4 * qs]).fma(kv, a4);
            a5 = FloatVector.broadcast(FS, q[qd + 5 * qs]).fma(kv, a5);
            a6 = FloatVector.broadcast(FS, q[qd + 6 * qs]).fma(kv, a6);
            a7 = FloatVector.broadcast(FS, q[qd + 7 * qs]).fma(kv, a7);
        }
        a0.intoArray(out, out0);
        a1.intoArray(out, out0 + os);
        a2.intoArray(out, out0 + 2 * os);
        a3.intoArray(out, out0 + 3 * os);
        a4.intoArray(out, out0 + 4 * os);
        a5.intoArray(out, out0 + 5 * os);
        a6.intoArray(out, out0 + 6 * os);
        a7.intoArray(out, out0 + 7 * os);
    }

    private static void scores4(float[] q, int q0, int qs, float[] keys, int o, int dim, int bs, float[] out, int out0, int os) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < dim; d++, o += bs) {
            FloatVector kv = FloatVector.fromArray(FS, keys, o);
            int qd = q0 + d;
            a0 = FloatVector.broadcast(FS, q[qd]).fma(kv, a0);
            a1 = FloatVector.broadcast(FS, q[qd + qs]).fma(kv, a1);
            a2 = FloatVector.broadcast(FS, q[qd + 2 * qs]).fma(kv, a2);
            a3 = FloatVector.broadcast(FS, q[qd + 3 * qs]).fma(kv, a3);
        }
        a0.intoArray(out, out0);
        a1.intoArray(out, out0 + os);
        a2.intoArray(out, out0 + 2 * os);
        a3.intoArray(out, out0 + 3 * os);
    }

    /** Pairs of outputs, four vectors each: eight independent sums sharing every row load. */
    @Override
    public void accumulateRowsMany(float[] w, int wOff, int wStride, int nq, float[] rows, int rowOff, int stride, int count,
                                   float[] out, int outOff, int outStride, int dim) {
        int p = 0;
        for (; p + 2 <= nq; p += 2) {
            int wa = wOff + p * wStride, wb = wa + wStride, oa = outOff + p * outStride, ob = oa + outStride;
            int i = 0;
            for (; i + 4 * L <= dim; i += 4 * L) {
                FloatVector x0 = FloatVector.fromArray(FS, out, oa + i), x1 = FloatVector.fromArray(FS, out, oa + i + L);
                FloatVector x2 = FloatVector.fromArray(FS, out, oa + i + 2 * L), x3 = FloatVector.fromArray(FS, out, oa + i + 3 * L);
                FloatVector y0 = FloatVector.fromArray(FS, out, ob + i), y1 = FloatVector.fromArray(FS, out, ob + i + L);
                FloatVector y2 = FloatVector.fromArray(FS, out, ob + i + 2 * L), y3 = FloatVector.fromArray(FS, out, ob + i + 3 * L);
                for (int t = 0, r = rowOff + i; t < count; t++, r += stride) {
                    FloatVector a = FloatVector.broadcast(FS, w[wa + t]), b = FloatVector.broadcast(FS, w[wb + t]);
                    FloatVector v0 = FloatVector.fromArray(FS, rows, r), v1 = FloatVector.fromArray(FS, rows, r + L);
                    FloatVector v2 = FloatVector.fromArray(FS, rows, r + 2 * L), v3 = FloatVector.fromArray(FS, rows, r + 3 * L);
                    x0 = v0.fma(a, x0); x1 = v1.fma(a, x1); x2 = v2.fma(a, x2); x3 = v3.fma(a, x3);
                    y0 = v0.fma(b, y0); y1 = v1.fma(b, y1); y2 = v2.fma(b, y2); y3 = v3.fma(b, y3);
                }
                x0.intoArray(out, oa + i); x1.intoArray(out, oa + i + L); x2.intoArray(out, oa + i + 2 * L); x3.intoArray(out, oa + i + 3 * L);
                y0.intoArray(out, ob + i); y1.intoArray(out, ob + i + L); y2.intoArray(out, ob + i + 2 * L); y3.intoArray(out, ob + i + 3 * L);
            }
            if (i < dim) { // the rest of each output in the single-output order
                accumulateRows(w, wa, rows, rowOff + i, stride, count, out, oa + i, dim - i);
                accumulateRows(w, wb, rows, rowOff + i, stride, count, out, ob + i, dim - i);
            }
        }
        for (; p < nq; p++) accumulateRows(w, wOff + p * wStride, rows, rowOff, stride, count, out, outOff + p * outStride, dim);
    }

    @Override
    public void accumulateRows(float[] w, int wOff, float[] rows, int rowOff, int stride, int count, float[] out, int outOff, int dim) {
        int i = 0;
        for (; i + 4 * L <= dim; i += 4 * L) { // four output vectors stay in registers across the rows
            int oo = outOff + i;
            FloatVector y0 = FloatVector.fromArray(FS, out, oo), y1 = FloatVector.fromArray(FS, out, oo + L);
            FloatVector y2 = FloatVector.fromArray(FS, out, oo + 2 * L), y3 = FloatVector.fromArray(FS, out, oo + 3 * L);
            for (int t = 0, r = rowOff + i; t < count; t++, r += stride) {
                FloatVector a = FloatVector.broadcast(FS, w[wOff + t]);
                y0 = FloatVector.fromArray(FS, rows, r).fma(a, y0);
                y1 = FloatVector.fromArray(FS, rows, r + L).fma(a, y1);
                y2 = FloatVector.fromArray(FS, rows, r + 2 * L).fma(a, y2);
                y3 = FloatVector.fromArray(FS, rows, r + 3 * L).fma(a, y3);
            }
            y0.intoArray(out, oo);
            y1.intoArray(out, oo + L);
            y2.intoArray(out, oo + 2 * L);
            y3.intoArray(out, oo + 3 * L);
        }
        for (; i + L <= dim; i += L) {
            FloatVector y = FloatVector.fromArray(FS, out, outOff + i);
            for (int t = 0, r = rowOff + i; t < count; t++, r += stride) {
                y = FloatVector.fromArray(FS, rows, r).fma(FloatVector.broadcast(FS, w[wOff + t]), y);
            }
            y.intoArray(out, outOff + i);
        }
        for (; i < dim; i++) {
            float y = out[outOff + i];
            for (int t = 0; t < count; t++) y = Math.fma(rows[rowOff + t * stride + i], w[wOff + t], y);
            out[outOff + i] = y;
        }
    }

    /**
     * Vector exp in float (DeterministicExp, relative error ~1e-7) per lane; each vector's 16
     * terms are summed by the fixed lane tree, then added in double, in the same order for every
     * row. A double {@code Math.exp} per element made log-softmax over a 150k vocabulary a
     * serial hot spot of scoring.
     */
    @Override
    public double sumExp(float[] x, int off, int n, float max) {
        FloatVector m = FloatVector.broadcast(FS, max);
        double sum = 0;
        int i = 0;
        // treeSum adds the lanes in tree's order in registers: through memory, the sixteen stores
        // and scalar adds per vector were most of scoring's log-softmax time
        for (int bound = FS.loopBound(n); i < bound; i += L) sum += treeSum(DeterministicExp.exp(FloatVector.fromArray(FS, x, off + i).sub(m)));
        for (; i < n; i++) sum += Math.exp((double) x[off + i] - max);
        return sum;
    }

    @Override
    public float max(float[] x, int off, int n) {
        FloatVector mv = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = FS.loopBound(n); i < bound; i += L) mv = FloatVector.fromArray(FS, x, off + i).max(mv); // the fresh vector as receiver: see VectorBlocks.quantizeInt8
        float m = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
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

    /**
     * GELU through erfc's Chebyshev fit (Numerical Recipes' erfcc: fractional error below 1.2e-7
     * everywhere) in float with the deterministic exp: {@code Φ(x) = 1 - erfc(z)/2} for x ≥ 0 and
     * {@code erfc(z)/2} below, z = |x|/√2. The exact double series (the scalar reference) took half
     * of a BERT embedding's time.
     */
    @Override
    public void gelu(float[] x, int off, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(FS, 1f), half = FloatVector.broadcast(FS, 0.5f);
        for (int bound = FS.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(FS, x, off + i);
            FloatVector z = v.abs().mul(GELU_SQRT_HALF);
            FloatVector t = one.div(z.fma(half, one));
            FloatVector p = FloatVector.broadcast(FS, ERFC[0]);
            for (int c = 1; c < ERFC.length; c++) p = p.fma(t, FloatVector.broadcast(FS, ERFC[c]));
            FloatVector erfcHalf = t.mul(DeterministicExp.exp(z.mul(z).neg().add(p))).mul(half);
            FloatVector phi = one.sub(erfcHalf).blend(erfcHalf, v.lt(0f));
            v.mul(phi).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            float v = x[off + i];
            float z = Math.abs(v) * GELU_SQRT_HALF;
            float t = 1f / Math.fma(z, 0.5f, 1f);
            float p = ERFC[0];
            for (int c = 1; c < ERFC.length; c++) p = Math.fma(p, t, ERFC[c]);
            float erfcHalf = t * DeterministicExp.exp(-(z * z) + p) * 0.5f;
            x[off + i] = v * (v < 0f ? erfcHalf : 1f - erfcHalf);
        }
    }

    private static final float GELU_SQRT_HALF = (float) Math.sqrt(0.5);
    /** erfc(z) ≈ t·exp(-z² + P(t)), t = 1/(1 + z/2): P's coefficients, highest first. */
    private static final float[] ERFC = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
            -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};

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

    /**
     * For a 4×4 matrix in one 16-lane vector: lane i gathers element (i mod 4) + 4k of the
     * matrix (its column's k-th element), or (i & ~3) + k (its row's k-th element).
     */
    private static final VectorShuffle<Float>[] COLUMN_ELEMENT = L == 16 ? lineShuffles(true) : null;
    private static final VectorShuffle<Float>[] ROW_ELEMENT = L == 16 ? lineShuffles(false) : null;

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] lineShuffles(boolean columns) {
        VectorShuffle<Float>[] s = new VectorShuffle[4];
        for (int k = 0; k < 4; k++) {
            int kk = k;
            s[k] = VectorShuffle.fromOp(FS, i -> columns ? (i & 3) + 4 * kk : (i & ~3) + kk);
        }
        return s;
    }

    @Override
    public void sinkhorn(float[] m, int off, int n, int iterations, float eps) {
        if (n * n != L || L != 16) {
            ScalarKernels.sinkhornScalar(m, off, n, iterations, eps);
            return;
        }
        FloatVector v = FloatVector.fromArray(FS, m, off);
        v = v.div(lineSums(v, COLUMN_ELEMENT).add(eps));
        for (int it = 1; it < iterations; it++) {
            v = v.div(lineSums(v, ROW_ELEMENT).add(eps));
            v = v.div(lineSums(v, COLUMN_ELEMENT).add(eps));
        }
        v.intoArray(m, off);
    }

    /** Each lane's line sum, added in index order as the scalar loop does. */
    private static FloatVector lineSums(FloatVector v, VectorShuffle<Float>[] element) {
        return v.rearrange(element[0]).add(v.rearrange(element[1])).add(v.rearrange(element[2])).add(v.rearrange(element[3]));
    }

    @Override
    public void softmax(float[] x, int off, int n, float sink) {
        int bound = FS.loopBound(n);
        int i = 0;
        FloatVector mv = FloatVector.broadcast(FS, sink);
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
        // DeterministicExp clamps -∞ to about 1e-38, not 0: no sink must add exactly nothing.
        float sum = (sink == Float.NEGATIVE_INFINITY ? 0f : DeterministicExp.exp(sink - max)) + treeSum(acc);
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
