package dev.ember.engine.kernels;

import dev.ember.engine.api.KvCacheType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cache rows: exact round trips where the type allows, the same bits from both implementations, any column range. */
class CacheKernelsTest {
    static final int WIDTH = 136; // not a multiple of 32: a partial Q8_0 block

    @Test
    void bothImplementationsDecodeTheSameBitsForEveryTypeAndRange() {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] row = new float[WIDTH];
        for (int i = 0; i < WIDTH; i++) row[i] = (float) (rnd.nextGaussian() * (i % 7 == 0 ? 40 : 1));
        CacheKernels scalar = new ScalarCacheKernels();
        CacheKernels chosen = CacheKernels.get();
        for (KvCacheType t : KvCacheType.values()) {
            MemorySegment seg = Arena.ofAuto().allocate(t.rowBytes(WIDTH) + 8);
            scalar.encodeRow(t, row, 0, WIDTH, seg, 8);
            for (int from : new int[]{0, 1, 8, 31, 32, 100}) {
                int n = WIDTH - from;
                float[] a = new float[n], b = new float[n];
                scalar.decode(t, seg, 8, from, n, a, 0);
                chosen.decode(t, seg, 8, from, n, b, 0);
                assertArrayEquals(a, b, t + " from " + from + " (" + chosen.name() + ")");
            }
            float[] back = new float[WIDTH];
            chosen.decode(t, seg, 8, 0, WIDTH, back, 0);
            for (int i = 0; i < WIDTH; i++) {
                float want = switch (t) {
                    case F32 -> row[i];
                    case F16 -> Float.float16ToFloat(Float.floatToFloat16(row[i]));
                    case BF16 -> Float.intBitsToFloat(ScalarCacheKernels.toBf16(row[i]) << 16);
                    case Q8_0 -> back[i];
                };
                assertEquals(want, back[i], t + " element " + i);
                double tolerance = switch (t) {
                    case F32 -> 0;
                    case F16 -> Math.abs(row[i]) * 0x1p-11;
                    case BF16 -> Math.abs(row[i]) * 0x1p-8;
                    case Q8_0 -> blockMax(row, i) / 127 * 0.5 * 1.01;
                };
                assertTrue(Math.abs(back[i] - row[i]) <= tolerance, t + " element " + i + ": " + row[i] + " -> " + back[i]);
            }
        }
    }

    static double blockMax(float[] row, int i) {
        double m = 0;
        for (int j = i / 32 * 32; j < Math.min(row.length, i / 32 * 32 + 32); j++) m = Math.max(m, Math.abs(row[j]));
        return m;
    }

    @Test
    void f16DecodingIsExactForEverySixteenBitPattern() {
        MemorySegment seg = Arena.ofAuto().allocate(2 * 65536);
        for (int h = 0; h < 65536; h++) seg.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * h, (short) h);
        float[] a = new float[65536], b = new float[65536];
        new ScalarCacheKernels().decode(KvCacheType.F16, seg, 0, 0, 65536, a, 0);
        CacheKernels.get().decode(KvCacheType.F16, seg, 0, 0, 65536, b, 0);
        for (int h = 0; h < 65536; h++) {
            if (Float.isNaN(a[h])) assertTrue(Float.isNaN(b[h]), "pattern " + h);
            else assertEquals(Float.floatToRawIntBits(a[h]), Float.floatToRawIntBits(b[h]), "pattern " + Integer.toHexString(h));
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(1f, Float.intBitsToFloat(ScalarCacheKernels.toBf16(Float.intBitsToFloat(0x3f808000)) << 16)); // tie -> even
        assertEquals(Float.intBitsToFloat(0x3f810000), Float.intBitsToFloat(ScalarCacheKernels.toBf16(Float.intBitsToFloat(0x3f808001)) << 16));
        assertTrue(Float.isNaN(Float.intBitsToFloat(ScalarCacheKernels.toBf16(Float.NaN) << 16)));
    }
}
