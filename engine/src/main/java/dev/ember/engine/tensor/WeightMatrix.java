package dev.ember.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix of {@code rows} output rows, each of {@code cols} input elements, in
 * {@code type}'s block format. A linear layer computes {@code out = in · Wᵀ}.
 *
 * <p>{@code interleave == 0}: stored row-major, as GGUF and safetensors store it.
 * {@code interleave == R > 0}: rows are interleaved in groups of R (see {@link Interleaved}), the
 * layout the vector kernels compute from; the row count is padded to a multiple of R with zero rows.
 */
public record WeightMatrix(String name, TensorType type, int rows, int cols, MemorySegment data, int interleave) {

    public WeightMatrix(String name, TensorType type, int rows, int cols, MemorySegment data) {
        this(name, type, rows, cols, data, 0);
    }

    public WeightMatrix {
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + cols + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        if (interleave < 0) throw new IllegalArgumentException(name + ": interleave " + interleave);
        long need = type.bytesFor((long) paddedRows(rows, interleave) * cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes of data, need " + need);
        }
    }

    /** Rows rounded up to a whole number of interleaved groups. */
    static int paddedRows(int rows, int interleave) {
        return interleave == 0 ? rows : (rows + interleave - 1) / interleave * interleave;
    }

    public boolean interleaved() { return interleave > 0; }

    /**
     * Rows {@code [from, to)} as a matrix over the same memory (no copy). For an interleaved matrix
     * {@code from} must start a group; the last group keeps its zero padding rows.
     */
    public WeightMatrix rowSlice(int from, int to) {
        java.util.Objects.checkFromToIndex(from, to, rows);
        if (interleave == 0) return new WeightMatrix(name, type, to - from, cols, data.asSlice(rowBytes() * from, rowBytes() * (to - from)), 0);
        if (from % interleave != 0) throw new IllegalArgumentException(name + ": slice at row " + from + " is inside a group of " + interleave);
        long group = Interleaved.groupBytes(type, interleave, cols);
        long groups = (to - from + interleave - 1) / interleave;
        return new WeightMatrix(name, type, to - from, cols, data.asSlice(group * (from / interleave), group * groups), interleave);
    }

    /** Bytes of one stored row; row-major matrices only. */
    public long rowBytes() {
        if (interleave > 0) throw new IllegalStateException(name + " is interleaved: it has no row stride");
        return type.bytesFor(cols);
    }
}
