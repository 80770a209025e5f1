package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The vector GELU (erfc fit in float) stays within 1e-6 relative of the exact double-series one. */
class GeluKernelTest {
    @Test
    void vectorGeluMatchesTheExactOne() {
        int n = 20_003; // not a multiple of the lane count: the scalar tail too
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -12f + 24f * i / (n - 1);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 1e-20f;
        x[3] = 40f;
        x[4] = -40f;
        float[] exact = x.clone(), fast = x.clone();
        new ScalarKernels().gelu(exact, 0, n);
        new VectorKernels().gelu(fast, 0, n);
        for (int i = 0; i < n; i++) {
            float tolerance = 1e-6f * Math.abs(exact[i]) + 1e-7f * Math.abs(x[i]) + 1e-30f;
            assertEquals(exact[i], fast[i], tolerance, "gelu(" + x[i] + ")");
        }
        assertEquals(40f, fast[3]);
        assertEquals(0f, fast[4], 1e-30f);
    }
}
