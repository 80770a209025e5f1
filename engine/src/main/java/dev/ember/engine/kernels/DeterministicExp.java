package dev.ember.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) for the Vector API kernels, built only from IEEE-exact operations (add, multiply, fused
 * multiply-add, float↔int conversion, shifts). The Vector API's {@code lanewise(EXP)} is computed
 * by different code in the interpreter and in C2-compiled code, and the two can differ in the last
 * bit, so a token's logits would depend on how warm the JIT is. This version gives the same bits
 * in every execution mode, and its scalar twin {@link #exp(float)} gives the same bits as a lane,
 * so vector bodies and scalar tails agree too. Accuracy: about 2 ulp over the float range.
 */
final class DeterministicExp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2²³: adding it rounds to an integer, exactly
    private static final float MAX = 88.3762626647949f;
    private static final float MIN = -87.33654475f;
    // Taylor coefficients of e^r on [-ln2/2, ln2/2], highest first.
    private static final float C6 = 1.3888889e-3f, C5 = 8.3333333e-3f, C4 = 4.1666667e-2f, C3 = 1.6666667e-1f, C2 = 0.5f;

    private DeterministicExp() {}

    static FloatVector exp(FloatVector x) {
        var s = x.species();
        FloatVector v = x.max(MIN).min(MAX);
        FloatVector n = v.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(s, -LN2_HI), v);
        r = n.fma(FloatVector.broadcast(s, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(s, C6), FloatVector.broadcast(s, C5));
        p = p.fma(r, FloatVector.broadcast(s, C4));
        p = p.fma(r, FloatVector.broadcast(s, C3));
        p = p.fma(r, FloatVector.broadcast(s, C2));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scale = (FloatVector) bits.reinterpretAsFloats();
        return p.mul(scale);
    }

    /** The same computation for one value; bit-identical to a lane of {@link #exp(FloatVector)}. */
    static float exp(float x) {
        float v = Math.min(Math.max(x, MIN), MAX);
        float n = v * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, v);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, C6, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
