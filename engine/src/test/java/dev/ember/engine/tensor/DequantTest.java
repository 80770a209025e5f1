package dev.ember.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Hand-made blocks with known values, decoded by the reference decoders. */
class DequantTest {

    private static MemorySegment segment(byte[] bytes) {
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return seg;
    }

    private static void putF16(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    @Test
    void q8_0Block() {
        byte[] b = new byte[34 * 2];
        putF16(b, 0, 0.5f);
        putF16(b, 34, -0.25f);
        for (int i = 0; i < 32; i++) { b[2 + i] = (byte) (i - 16); b[36 + i] = (byte) (i * 4 - 128); }
        float[] out = new float[64];
        Dequant.row(TensorType.Q8_0, segment(b), 0, 64, out, 0);
        for (int i = 0; i < 32; i++) {
            assertEquals((i - 16) * 0.5f, out[i]);
            assertEquals((i * 4 - 128) * -0.25f, out[32 + i]);
        }
        assertEquals(-8f, out[0]);
        assertEquals(32f, out[32]);
    }

    @Test
    void q4_0BlockNibbleOrder() {
        byte[] b = new byte[18];
        putF16(b, 0, 2f);
        // byte i: low nibble i (element i), high nibble 15 - i (element 16 + i)
        for (int i = 0; i < 16; i++) b[2 + i] = (byte) (i | ((15 - i) << 4));
        float[] out = new float[32];
        Dequant.row(TensorType.Q4_0, segment(b), 0, 32, out, 0);
        for (int i = 0; i < 16; i++) {
            assertEquals((i - 8) * 2f, out[i], "low nibble " + i);
            assertEquals((7 - i) * 2f, out[16 + i], "high nibble " + i);
        }
        assertEquals(-16f, out[0]);
        assertEquals(14f, out[16]);
        assertEquals(14f, out[15]);
        assertEquals(-16f, out[31]);
    }

    @Test
    void q4_KBlock() {
        int[] sc = {1, 2, 3, 63, 17, 33, 48, 5};
        int[] mn = {0, 7, 63, 9, 31, 16, 60, 2};
        byte[] b = new byte[144];
        putF16(b, 0, 0.5f);
        putF16(b, 2, 0.25f);
        System.arraycopy(QuantFixtures.packQ4kScales(sc, mn), 0, b, 4, 12);
        int[] q = new int[256];
        for (int g = 0; g < 4; g++) {
            for (int l = 0; l < 32; l++) {
                int lo = (l + g) & 0xF, hi = (l * 3 + g) & 0xF;
                q[64 * g + l] = lo;
                q[64 * g + 32 + l] = hi;
                b[16 + 32 * g + l] = (byte) (lo | (hi << 4));
            }
        }
        float[] out = new float[256];
        Dequant.row(TensorType.Q4_K, segment(b), 0, 256, out, 0);
        for (int i = 0; i < 256; i++) {
            int group = i / 32; // 8 sub-blocks of 32 elements, each with its own scale and min
            float expect = 0.5f * sc[group] * q[i] - 0.25f * mn[group];
            assertEquals(expect, out[i], "element " + i);
        }
        // a few by hand: element 0 is q=0 of group 0: 0.5*1*0 - 0.25*0 = 0
        assertEquals(0f, out[0]);
        // element 96 (group 3, sc 63, mn 9, q = (0*3+1)&15 = 1): 0.5*63*1 - 0.25*9 = 29.25
        assertEquals(29.25f, out[96]);
        // element 160 (group 5, sc 33, mn 16, q = (0+2)&15 = 2): 0.5*33*2 - 0.25*16 = 29
        assertEquals(29f, out[128 + 32]);
    }

    @Test
    void q6_KBlock() {
        int[] q = new int[256];
        for (int i = 0; i < 256; i++) q[i] = (i * 7 + 3) & 63;
        byte[] ql = new byte[128], qh = new byte[64];
        QuantFixtures.packQ6k(q, ql, qh);
        byte[] b = new byte[210];
        System.arraycopy(ql, 0, b, 0, 128);
        System.arraycopy(qh, 0, b, 128, 64);
        for (int s = 0; s < 16; s++) b[192 + s] = (byte) (s % 2 == 0 ? s + 1 : -s);
        putF16(b, 208, 0.125f);
        float[] out = new float[256];
        Dequant.row(TensorType.Q6_K, segment(b), 0, 256, out, 0);
        for (int i = 0; i < 256; i++) {
            int s = i / 16;
            float scale = s % 2 == 0 ? s + 1 : -s;
            assertEquals(0.125f * scale * (q[i] - 32), out[i], "element " + i);
        }
        assertEquals(0.125f * 1 * (3 - 32), out[0]);
    }

    @Test
    void halfTypes() {
        byte[] b = new byte[8];
        putF16(b, 0, 1.5f);
        putF16(b, 2, -65504f);
        // bf16 of 3.140625 is 0x4049
        b[4] = 0x49; b[5] = 0x40;
        b[6] = (byte) 0x80; b[7] = (byte) 0xBF; // bf16 -1.0
        float[] out = new float[2];
        Dequant.row(TensorType.F16, segment(b), 0, 2, out, 0);
        assertEquals(1.5f, out[0]);
        assertEquals(-65504f, out[1]);
        Dequant.row(TensorType.BF16, segment(b), 4, 2, out, 0);
        assertEquals(3.140625f, out[0]);
        assertEquals(-1f, out[1]);
    }
}
