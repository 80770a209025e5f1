package dev.ember.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named weight tensor: a typed view over (usually memory-mapped) bytes. Nothing is copied.
 * {@code shape} is in GGML order: {@code shape[0]} is the innermost (contiguous) dimension, so a
 * matrix with {@code n} rows of {@code k} elements has shape {@code [k, n]}.
 */
public record Tensor(String name, TensorType type, long[] shape, MemorySegment data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Elements per row (the contiguous dimension). */
    public int cols() { return Math.toIntExact(shape[0]); }

    /** Number of rows: the product of all dimensions but the first. */
    public int rows() { return Math.toIntExact(elementCount() / shape[0]); }

    public long rowBytes() { return type.bytesFor(shape[0]); }

    /** This tensor seen as a matrix of {@code rows() x cols()}. */
    public WeightMatrix asMatrix() {
        return new WeightMatrix(name, type, rows(), cols(), data);
    }

    /**
     * The 2-D slice {@code index} of a 3-D tensor (for example one expert of a stacked MoE
     * weight {@code [k, n, experts]}).
     */
    public WeightMatrix slice(int index) {
        if (shape.length != 3) throw new IllegalStateException(name + " is not 3-D: " + Arrays.toString(shape));
        int k = Math.toIntExact(shape[0]);
        int n = Math.toIntExact(shape[1]);
        long bytes = type.bytesFor((long) k * n);
        return new WeightMatrix(name + "[" + index + "]", type, n, k, data.asSlice(bytes * index, bytes));
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
