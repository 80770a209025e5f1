package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;

/** RMSNorm with a learned scale: {@code x / sqrt(mean(x²) + eps) · w}, applied per row or per head. */
public record RmsNorm(float[] weight, float eps) {
    public int size() { return weight.length; }

    /** Normalizes {@code count} consecutive vectors of {@code weight.length} floats starting at {@code off}. */
    public void apply(Kernels k, float[] x, int off, float[] out, int outOff, int count) {
        int n = weight.length;
        for (int i = 0; i < count; i++) k.rmsnorm(x, off + i * n, weight, eps, out, outOff + i * n, n);
    }

    /** {@link #apply}, the vectors spread over the pool (each one's arithmetic is the same on any thread). */
    public void apply(Kernels k, WorkerPool pool, float[] x, int off, float[] out, int outOff, int count) {
        int n = weight.length;
        pool.parallelFor(count, i -> k.rmsnorm(x, off + i * n, weight, eps, out, outOff + i * n, n));
    }
}
