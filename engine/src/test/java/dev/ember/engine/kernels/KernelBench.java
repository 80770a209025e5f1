package dev.ember.engine.kernels;

import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Micro-benchmark of matmul on qwen3-0.6b shapes with random weights (not a unit test: run it by hand).
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     dev.ember.engine.kernels.KernelBench [types=Q8_0,Q4_0] [threads=2] [layers=28] [prefill=512] [seconds=5]
 * </pre>
 *
 * Decode ({@code batch} rows, 1 by default) runs every layer's seven projections plus the tied
 * 151936 x 1024 output, over distinct memory (so the weights stream from DRAM, not L3) and prints
 * GB/s and the matmul-only token rate (all rows' tokens: batched decode's aggregate rate). Prefill runs {@code prefill} tokens through two layers and prints GFLOP/s.
 */
public final class KernelBench {
    private static final int HIDDEN = 1024, Q = 2048, KV = 1024, FFN = 3072, VOCAB = 151936;

    public static void main(String[] args) {
        String types = "Q8_0,Q4_0,F16,BF16,Q4_K,Q5_K,Q6_K,F32";
        int threads = 2, layers = 28, batch = 1, prefill = 512;
        double seconds = 5;
        boolean output = true;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "types" -> types = kv[1];
                case "threads" -> threads = Integer.parseInt(kv[1]);
                case "layers" -> layers = Integer.parseInt(kv[1]);
                case "batch" -> batch = Integer.parseInt(kv[1]);
                case "prefill" -> prefill = Integer.parseInt(kv[1]);
                case "seconds" -> seconds = Double.parseDouble(kv[1]);
                case "output" -> output = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException(a);
            }
        }
        Kernels k = Kernels.get();
        System.out.printf(Locale.ROOT, "kernels=%s threads=%d layers=%d%n", k.name(), threads, layers);
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (String tn : types.split(",")) {
                TensorType t = TensorType.valueOf(tn);
                if (layers > 0) decode(k, pool, t, layers, batch, output, seconds);
                if (prefill > 0) prefill(k, pool, t, prefill, seconds);
            }
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static List<WeightMatrix> layer(TensorType t, long seed) {
        List<WeightMatrix> l = new ArrayList<>();
        int[][] shapes = {{Q, HIDDEN}, {KV, HIDDEN}, {KV, HIDDEN}, {HIDDEN, Q}, {FFN, HIDDEN}, {FFN, HIDDEN}, {HIDDEN, FFN}};
        for (int[] s : shapes) l.add(random(t, s[0], s[1], seed++));
        return l;
    }

    /** Random bytes, with every block scale set to a sane f16 so values stay finite. */
    static WeightMatrix random(TensorType t, int rows, int cols, long seed) {
        long bytes = t.bytesFor((long) rows * cols);
        MemorySegment seg = Arena.ofAuto().allocate(bytes, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        long i = 0;
        for (; i + 8 <= bytes; i += 8) seg.set(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        for (; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        short scale = Float.floatToFloat16(0.01f);
        switch (t) {
            case Q8_0, Q4_0 -> { for (long b = 0; b < bytes; b += t.blockBytes()) seg.set(dev.ember.engine.tensor.Dequant.LE_SHORT, b, scale); }
            case Q4_K -> { for (long b = 0; b < bytes; b += t.blockBytes()) { seg.set(dev.ember.engine.tensor.Dequant.LE_SHORT, b, scale); seg.set(dev.ember.engine.tensor.Dequant.LE_SHORT, b + 2, scale); } }
            case Q6_K -> { for (long b = 0; b < bytes; b += t.blockBytes()) seg.set(dev.ember.engine.tensor.Dequant.LE_SHORT, b + 208, scale); }
            case F16 -> { for (long b = 0; b < bytes; b += 2) seg.set(dev.ember.engine.tensor.Dequant.LE_SHORT, b, Float.floatToFloat16((float) rnd.nextGaussian() * 0.02f)); }
            case BF16 -> { for (long b = 0; b < bytes; b += 2) seg.set(dev.ember.engine.tensor.Dequant.LE_SHORT, b, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian() * 0.02f) >>> 16)); }
            case F32 -> { for (long b = 0; b < bytes; b += 4) seg.set(dev.ember.engine.tensor.Dequant.LE_FLOAT, b, (float) rnd.nextGaussian() * 0.02f); }
        }
        return Kernels.get().prepare(new WeightMatrix(t + "-" + rows + "x" + cols, t, rows, cols, seg));
    }

    private static void decode(Kernels k, WorkerPool pool, TensorType t, int layers, int rows, boolean output, double seconds) {
        List<WeightMatrix> all = new ArrayList<>();
        for (int l = 0; l < layers; l++) all.addAll(layer(t, 1000L * l));
        if (output) all.add(random(t, VOCAB, HIDDEN, 7));
        long bytes = 0;
        for (WeightMatrix w : all) bytes += w.data().byteSize();
        float[] x = new float[rows * FFN];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        float[] out = new float[rows * VOCAB];
        // warm-up: JIT compiles the kernels
        long end = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < end) for (WeightMatrix w : all) k.matmul(pool, w, x, rows, out);
        int passes = 0;
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        end = t0 + (long) (seconds * 1e9);
        long best = Long.MAX_VALUE;
        while (System.nanoTime() < end || passes < 3) {
            long s = System.nanoTime();
            for (WeightMatrix w : all) k.matmul(pool, w, x, rows, out);
            best = Math.min(best, System.nanoTime() - s);
            passes++;
        }
        double mean = (System.nanoTime() - t0) / 1e9 / passes;
        // CPU seconds per pass divided by the thread count: what a pass would take on idle cores
        // (the machine is shared; this filters out time stolen by other processes, but counts spinning).
        double cpuPass = (cpuNanos() - c0) / 1e9 / passes / pool.threads();
        System.out.printf(Locale.ROOT, "%-5s decode rows=%d: %.0f MB per pass, mean %.1f ms (%.2f GB/s, %.1f tok/s), best %.1f ms (%.2f GB/s, %.1f tok/s), cpu-normalized %.2f GB/s%n",
                t, rows, bytes / 1e6, mean * 1e3, bytes / mean / 1e9, rows / mean, best / 1e6, bytes / (best / 1e9) / 1e9, rows * 1e9 / best, bytes / cpuPass / 1e9);
    }

    private static void prefill(Kernels k, WorkerPool pool, TensorType t, int rows, double seconds) {
        List<WeightMatrix> all = new ArrayList<>();
        for (int l = 0; l < 2; l++) all.addAll(layer(t, 5000L + 1000L * l));
        double flops = 0;
        for (WeightMatrix w : all) flops += 2.0 * w.rows() * w.cols() * rows;
        float[] x = new float[rows * FFN];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        float[] out = new float[rows * FFN];
        long end = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < end) for (WeightMatrix w : all) k.matmul(pool, w, x, rows, out);
        int passes = 0;
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        end = t0 + (long) (seconds * 1e9);
        long best = Long.MAX_VALUE;
        while (System.nanoTime() < end || passes < 3) {
            long s = System.nanoTime();
            for (WeightMatrix w : all) k.matmul(pool, w, x, rows, out);
            best = Math.min(best, System.nanoTime() - s);
            passes++;
        }
        double mean = (System.nanoTime() - t0) / 1e9 / passes;
        // CPU seconds per pass divided by the thread count: what a pass would take on idle cores
        // (the machine is shared; this filters out time stolen by other processes, but counts spinning).
        double cpuPass = (cpuNanos() - c0) / 1e9 / passes / pool.threads();
        System.out.printf(Locale.ROOT, "%-5s prefill rows=%d: mean %.1f GFLOP/s (best %.1f, cpu-normalized %.1f); 28-layer matmul-only rate %.0f tok/s%n",
                t, rows, flops / mean / 1e9, flops / (best / 1e9) / 1e9, flops / cpuPass / 1e9, rows / (mean * 28 / 2));
    }
}
