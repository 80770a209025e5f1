package dev.ember.engine.gguf;

import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Quantize;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quantize against hand-computed blocks, against llama-quantize's own output, and through the dequantizers. */
class QuantizeTest {
    static final Path MODELS = Path.of(System.getProperty("ember.shared.dir", "../shared"), "models");

    private static int u16(byte[] b, int pos) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(pos) & 0xFFFF;
    }

    @Test
    void q8_0HandBlock() {
        float[] x = new float[32];
        // amax 127 makes d = 1 and id = 1, so q = roundf(x): halves round away from zero, and
        // 0.49999997 (the float just below 0.5) rounds to 0, where (x + 0.5f) floored would give 1.
        float[] head = {127f, -127f, 0.5f, -0.5f, 2.5f, -2.5f, 0.49999997f, 1.4999999f, 3.7f, -3.2f, 100.5f, -100.5f};
        System.arraycopy(head, 0, x, 0, head.length);
        byte[] b = Quantize.encode(TensorType.Q8_0, x);
        assertEquals(34, b.length);
        assertEquals(0x3C00, u16(b, 0)); // 1.0 in F16
        byte[] expected = {127, -127, 1, -1, 3, -3, 0, 1, 4, -3, 101, -101};
        for (int j = 0; j < 32; j++) assertEquals(j < expected.length ? expected[j] : 0, b[2 + j], "q[" + j + "]");
    }

    @Test
    void q8_0ScaleIsRoundedToF16ButQuantsUseTheExactScale() {
        float[] x = new float[32];
        x[0] = 0.5f;
        x[1] = -0.25f;
        x[2] = 0.001f;
        byte[] b = Quantize.encode(TensorType.Q8_0, x);
        // d = 0.5/127 = 0.0039370078 = 2^-8 * 1.00787; F16 mantissa round(0.00787 * 1024) = 8.
        assertEquals((7 << 10) | 8, u16(b, 0));
        assertEquals(127, b[2]);
        assertEquals(-64, b[3]);   // -0.25 * 254 = -63.5 -> -64 (away from zero)
        assertEquals(0, b[4]);     // 0.001 * 254 = 0.254 -> 0
    }

    @Test
    void zeroBlocksHaveZeroScale() {
        byte[] q8 = Quantize.encode(TensorType.Q8_0, new float[64]);
        for (byte v : q8) assertEquals(0, v);
        byte[] q4 = Quantize.encode(TensorType.Q4_0, new float[32]);
        assertEquals(0x8000, u16(q4, 0)); // d = 0 / -8 is -0.0 in ggml too
        // id = 0, so every element maps to (int)(0 + 8.5) = 8.
        for (int j = 0; j < 16; j++) assertEquals((byte) 0x88, q4[2 + j]);
    }

    @Test
    void q4_0HandBlockNegativeMax() {
        float[] x = new float[32];
        // The largest magnitude is -8: d = -8 / -8 = 1, id = 1, q = min(15, (int)(x + 8.5)).
        float[] lo = {-8f, 7f, 7.6f, 0f, -0.5f, -0.6f, 0.49f, 0.5f, -7.5f, 3.3f};
        int[] qlo = {0, 15, 15, 8, 8, 7, 8, 9, 1, 11};
        float[] hi = {-1f, 1f, -4.4f};
        int[] qhi = {7, 9, 4};
        System.arraycopy(lo, 0, x, 0, lo.length);
        System.arraycopy(hi, 0, x, 16, hi.length);
        byte[] b = Quantize.encode(TensorType.Q4_0, x);
        assertEquals(18, b.length);
        assertEquals(0x3C00, u16(b, 0));
        for (int j = 0; j < 16; j++) {
            int l = j < qlo.length ? qlo[j] : 8;
            int h = j < qhi.length ? qhi[j] : 8;
            assertEquals((byte) (l | (h << 4)), b[2 + j], "byte " + j);
        }
    }

    @Test
    void q4_0HandBlockPositiveMax() {
        float[] x = new float[32];
        x[0] = 8f;    // d = 8 / -8 = -1, id = -1: -8 + 8.5 -> 0
        x[1] = -8f;   // 8 + 8.5 = 16.5 -> 16 -> clamped to 15
        x[2] = 1f;    // -1 + 8.5 = 7.5 -> 7
        x[16] = -2f;  // 2 + 8.5 = 10.5 -> 10
        byte[] b = Quantize.encode(TensorType.Q4_0, x);
        assertEquals(0xBC00, u16(b, 0)); // -1.0 in F16
        assertEquals((byte) (0 | (10 << 4)), b[2]);
        assertEquals((byte) (15 | (8 << 4)), b[3]);
        assertEquals((byte) (7 | (8 << 4)), b[4]);
    }

    @Test
    void f16RoundsToNearestEven() {
        assertEquals(0x3C00, Quantize.f16(1f) & 0xFFFF);
        assertEquals(0x8000, Quantize.f16(-0f) & 0xFFFF);
        assertEquals(0x7BFF, Quantize.f16(65504f) & 0xFFFF);
        assertEquals(0x7C00, Quantize.f16(65520f) & 0xFFFF);                    // tie -> even -> infinity
        assertEquals(0x3C00, Quantize.f16(1f + 0x1p-11f) & 0xFFFF);             // tie -> even (down)
        assertEquals(0x3C02, Quantize.f16(1f + 3 * 0x1p-11f) & 0xFFFF);         // tie -> even (up)
        assertEquals(0x0001, Quantize.f16(0x1p-24f) & 0xFFFF);                  // smallest subnormal
        assertEquals(0x0000, Quantize.f16(0x1p-26f) & 0xFFFF);                  // below half of it
        byte[] b = Quantize.encode(TensorType.F16, new float[]{1f, -2f});
        assertArrayEquals(new byte[]{0x00, 0x3C, 0x00, (byte) 0xC0}, b);
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaNQuiet() {
        assertEquals(0x3F80, Quantize.bf16(1f) & 0xFFFF);
        assertEquals(0x3F80, Quantize.bf16(1f + 0x1p-8f) & 0xFFFF);             // tie -> even (down)
        assertEquals(0x3F82, Quantize.bf16(1f + 3 * 0x1p-8f) & 0xFFFF);         // tie -> even (up)
        assertEquals(0x3F81, Quantize.bf16(1f + 0x1p-8f + 0x1p-20f) & 0xFFFF);  // above the tie
        assertEquals(0x7F80, Quantize.bf16(Float.POSITIVE_INFINITY) & 0xFFFF);
        assertEquals(0x7F80, Quantize.bf16(Float.MAX_VALUE) & 0xFFFF);          // rounds up to infinity
        assertEquals(0x7FC0, Quantize.bf16(Float.intBitsToFloat(0x7F800001)) & 0xFFFF); // signalling NaN made quiet
        assertEquals(0xFFC1, Quantize.bf16(Float.intBitsToFloat(0xFFC10000)) & 0xFFFF);
        assertEquals(0x0001, Quantize.bf16(Float.intBitsToFloat(0x000116C2)) & 0xFFFF); // subnormals are kept
        assertEquals(0x8000, Quantize.bf16(-0f) & 0xFFFF);
    }

    /** stories260K-Q8_0.gguf was made from stories260K.gguf by llama-quantize: the bytes must match. */
    @Test
    void q8_0MatchesLlamaQuantizeBitForBit() {
        try (GgufFile f32 = GgufFile.open(MODELS.resolve("stories260K.gguf"));
             GgufFile q8 = GgufFile.open(MODELS.resolve("stories260K-Q8_0.gguf"))) {
            int compared = 0;
            for (GgufTensorInfo info : q8.tensorInfos().values()) {
                if (info.type() != TensorType.Q8_0) continue;
                Tensor src = f32.tensor(info.name());
                float[] x = src.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                byte[] mine = Quantize.encode(TensorType.Q8_0, x);
                byte[] theirs = q8.tensor(info.name()).data().toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(theirs, mine, info.name());
                compared++;
            }
            assertTrue(compared >= 30, "compared " + compared);
        }
    }

    @Test
    void roundTripsThroughTheDequantizers() {
        Random r = new Random(7);
        int n = 32 * 64;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 3 : 0.05));
        for (TensorType t : new TensorType[]{TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0}) {
            byte[] enc = Quantize.encode(t, x);
            float[] back = new float[n];
            Dequant.row(t, MemorySegment.ofArray(enc), 0, n, back, 0);
            for (int blk = 0; blk < n / 32; blk++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
                for (int j = 0; j < 32; j++) {
                    int i = blk * 32 + j;
                    double tol = switch (t) {
                        case F32 -> 0;
                        case F16 -> Math.abs(x[i]) * 0x1p-11 + 0x1p-25;
                        case BF16 -> Math.abs(x[i]) * 0x1p-8;
                        // Half a step of d = amax/127, plus the F16 rounding of d over up to 127 steps.
                        case Q8_0 -> amax / 127 * 0.5 + amax * 0x1p-11 + 1e-9;
                        // A full step of d = amax/8 on the clamped side, plus the F16 rounding.
                        case Q4_0 -> amax / 8 * 1.0 + amax * 0x1p-10 + 1e-9;
                        default -> throw new AssertionError();
                    };
                    assertTrue(Math.abs(back[i] - x[i]) <= tol, t + " element " + i + ": " + x[i] + " -> " + back[i]);
                }
            }
        }
    }

    @Test
    void rejectsWhatItCannotEncode() {
        assertFalse(Quantize.canEncode(TensorType.Q4_K));
        assertThrows(UnsupportedOperationException.class, () -> Quantize.encode(TensorType.Q6_K, new float[256]));
        assertThrows(IllegalArgumentException.class, () -> Quantize.encode(TensorType.Q8_0, new float[33]));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Quantize.encode(TensorType.Q8_0, new float[64], 0, 64, MemorySegment.ofArray(new byte[60]), 0));
    }
}
