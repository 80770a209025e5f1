package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.QuantFixtures;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;

class ScalarKernelsTest {
    private final ScalarKernels k = new ScalarKernels();

    @Test
    void matmulMatchesDoubleReference() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (TensorType t : TensorType.values()) {
            if (!Dequant.supports(t)) continue;
                int cols = t.blockSize() == 256 ? 512 : 96;
                WeightMatrix w = QuantFixtures.random(t, 37, cols, 1);
                float[] in = QuantFixtures.randomActivations(5 * cols, 2);
                float[] out = new float[5 * 37];
                k.matmul(pool, w, in, 5, out);
                float[] row = new float[cols];
                // A type that reads int8 activations multiplies the input as it rounds it (llama.cpp's semantics).
                float[] x = in;
                if (ActivationQuant.applies(t)) {
                    float[] q = new float[in.length], d = new float[5 * ActivationQuant.blocks(cols)];
                    ActivationQuant.quantize(in, 5, cols, q, d);
                    x = new float[in.length];
                    ActivationQuant.roundTrip(q, d, 5, cols, x);
                }
                for (int j = 0; j < 37; j++) {
                    Dequant.row(w, j, row, 0);
                    for (int r = 0; r < 5; r++) {
                        double s = 0, mag = 0;
                        for (int i = 0; i < cols; i++) { s += (double) row[i] * x[r * cols + i]; mag += Math.abs((double) row[i] * x[r * cols + i]); }
                        assertEquals(s, out[r * 37 + j], 1e-5 * mag + 1e-30, t + " row " + j + " token " + r);
                    }
                }
            }
        }
    }

    @Test
    void elementwise() {
        float[] x = {1, 2, 3, 4};
        float[] w = {1, 1, 2, 0.5f};
        float[] out = new float[4];
        k.rmsnorm(x, 0, w, 0f, out, 0, 4);
        float rms = (float) Math.sqrt(30.0 / 4);
        for (int i = 0; i < 4; i++) assertEquals(x[i] / rms * w[i], out[i], 1e-6);
        float[] s = {1, 2, 3};
        k.softmax(s, 0, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        for (int i = 0; i < 3; i++) assertEquals(Math.exp(i + 1) / z, s[i], 1e-6);
        float[] g = {0f, 1f, -2f};
        float[] u = {5f, 2f, 3f};
        k.siluMul(g, 0, u, 0, 3);
        assertEquals(0f, g[0]);
        assertEquals(2 / (1 + Math.exp(-1)), g[1], 1e-6);
        assertEquals(3 * -2 / (1 + Math.exp(2)), g[2], 1e-6);
        assertEquals(32f, k.dot(new float[]{1, 2, 3}, 0, new float[]{4, 5, 6}, 0, 3));
    }
}
