package dev.ember.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix of {@code rows} output rows, each of {@code cols} input elements, stored
 * row-major in {@code type}'s block layout. A linear layer computes {@code out = in · Wᵀ}.
 */
public record WeightMatrix(String name, TensorType type, int rows, int cols, MemorySegment data) {

    public WeightMatrix {
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + cols + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        long need = type.bytesFor((long) rows * cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes of data, need " + need);
        }
    }

    public long rowBytes() { return type.bytesFor(cols); }
}
