package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;

/** Typed access to a checkpoint's tensors for model builders: matrices stay mapped, small vectors are copied to float[]. */
public final class Weights {
    private final WeightSource source;
    private final Kernels kernels;

    public Weights(WeightSource source, Kernels kernels) {
        this.source = source;
        this.kernels = kernels;
    }

    public WeightSource source() { return source; }

    public boolean has(String name) { return source.hasTensor(name); }

    /** A linear layer's weights, in the layout the kernels compute fastest from ({@link Kernels#prepare}). */
    public WeightMatrix matrix(String name) {
        return kernels.prepare(source.tensor(name).asMatrix());
    }

    /** {@code m} in the kernels' preferred layout. */
    public WeightMatrix prepare(WeightMatrix m) {
        return kernels.prepare(m);
    }

    /** A matrix that must be {@code rows × cols}. */
    public WeightMatrix matrix(String name, int rows, int cols) {
        return checkShape(matrix(name), rows, cols);
    }

    /**
     * A fused {@code [sum(rows) x cols]} matrix (nomic-bert's and Phi-3's {@code attn_qkv},
     * Phi-3's gate+up {@code ffn_up}) as consecutive row ranges: views of the mapped file, each
     * then laid out for the kernels like any matrix. Its shape is checked against the parts.
     */
    public WeightMatrix[] rowSplit(String name, int cols, int... rows) {
        WeightMatrix m = source.tensor(name).asMatrix();
        int total = 0;
        for (int r : rows) total += r;
        checkShape(m, total, cols);
        WeightMatrix[] out = new WeightMatrix[rows.length];
        long offset = 0;
        for (int i = 0; i < rows.length; i++) {
            long bytes = m.rowBytes() * rows[i];
            out[i] = prepare(new WeightMatrix(name + "[" + i + "]", m.type(), rows[i], cols, m.data().asSlice(offset, bytes)));
            offset += bytes;
        }
        return out;
    }

    /** A lookup table (token embeddings) read a row at a time: kept as stored, never copied. */
    public WeightMatrix table(String name, int rows, int cols) {
        return checkShape(source.tensor(name).asMatrix(), rows, cols);
    }

    private WeightMatrix checkShape(WeightMatrix m, int rows, int cols) {
        String name = m.name();
        checkWeightType(name, m.type());
        if (m.rows() != rows || m.cols() != cols) {
            throw new ModelLoadException(source.origin() + ": tensor '" + name + "' is " + m.rows() + "x" + m.cols()
                    + ", expected " + rows + "x" + cols);
        }
        return m;
    }

    /** A 1-D tensor as floats (dequantized), checked to have {@code size} elements. */
    public float[] vector(String name, int size) {
        Tensor t = source.tensor(name);
        checkWeightType(name, t.type());
        if (t.elementCount() != size) {
            throw new ModelLoadException(source.origin() + ": tensor '" + name + "' has " + t.elementCount() + " elements, expected " + size);
        }
        float[] out = new float[size];
        WeightMatrix m = new WeightMatrix(name, t.type(), 1, size, t.data());
        kernels.dequantizeRow(m, 0, out, 0);
        return out;
    }

    /** A 2-D tensor ({@code rows} rows of {@code cols}) as float rows, dequantized: per-expert biases. */
    public float[][] rows(String name, int rows, int cols) {
        WeightMatrix m = checkShape(source.tensor(name).asMatrix(), rows, cols);
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) kernels.dequantizeRow(m, r, out[r], 0);
        return out;
    }

    public float[] optionalVector(String name, int size) {
        return has(name) ? vector(name, size) : null;
    }

    /** Row {@code row} of {@code m}, dequantized into {@code out}. */
    public void dequantizeRow(WeightMatrix m, int row, float[] out) {
        kernels.dequantizeRow(m, row, out, 0);
    }

    public RmsNorm rmsNorm(String name, int size, float eps) {
        return new RmsNorm(vector(name, size), eps);
    }

    /** An integer table (I32) where a weight belongs is a broken file, named as such rather than failing in a kernel. */
    private void checkWeightType(String name, TensorType type) {
        if (!type.format().isWeight()) {
            throw new ModelLoadException(source.origin() + ": tensor '" + name + "' is " + type + ", not a weight type (supported: "
                    + TensorType.supportedWeightTypes() + ")");
        }
    }
}
