package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FP8 (E4M3 with 128×128 or configured block scales) and MXFP4 (E2M1 nibbles, E8M0 per 32)
 * decoding against hand-computed values, block edges where dimensions are not multiples of the
 * block, and a DeepSeek-V4 checkpoint quantized that way loading as its dequantized values.
 */
class BlockDequantTest {
    @TempDir
    Path tmp;

    @Test
    void e4m3Table() {
        // sign | exponent (bias 7) | 3 mantissa bits; exponent 0 is subnormal (m/8 * 2^-6); S.1111.111 is NaN.
        assertEquals(0f, BlockDequant.e4m3(0x00));
        assertEquals(-0f, BlockDequant.e4m3(0x80));
        assertEquals(0.001953125f, BlockDequant.e4m3(0x01)); // 1/8 * 2^-6 = 2^-9, the smallest subnormal
        assertEquals(0.013671875f, BlockDequant.e4m3(0x07)); // 7/8 * 2^-6
        assertEquals(0.015625f, BlockDequant.e4m3(0x08));    // 2^-6, the smallest normal
        assertEquals(0.5f, BlockDequant.e4m3(0x30));
        assertEquals(1f, BlockDequant.e4m3(0x38));
        assertEquals(1.125f, BlockDequant.e4m3(0x39));
        assertEquals(1.875f, BlockDequant.e4m3(0x3F));
        assertEquals(2f, BlockDequant.e4m3(0x40));
        assertEquals(-1f, BlockDequant.e4m3(0xB8));
        assertEquals(240f, BlockDequant.e4m3(0x77));         // 1.875 * 2^7
        assertEquals(256f, BlockDequant.e4m3(0x78));         // exponent 15 is a normal exponent in E4M3FN
        assertEquals(448f, BlockDequant.e4m3(0x7E));         // the largest value
        assertEquals(-448f, BlockDequant.e4m3(0xFE));
        assertTrue(Float.isNaN(BlockDequant.e4m3(0x7F)));
        assertTrue(Float.isNaN(BlockDequant.e4m3(0xFF)));
    }

    @Test
    void e2m1AndE8m0Tables() {
        float[] expected = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f};
        for (int n = 0; n < 16; n++) assertEquals(expected[n], BlockDequant.e2m1(n), "nibble " + n);
        assertEquals(1f, BlockDequant.e8m0(127));
        assertEquals(2f, BlockDequant.e8m0(128));
        assertEquals(0.5f, BlockDequant.e8m0(126));
        assertEquals(0x1p-127f, BlockDequant.e8m0(0));
        assertEquals(0x1p127f, BlockDequant.e8m0(254));
        assertTrue(Float.isNaN(BlockDequant.e8m0(255)));
    }

    @Test
    void fp8BlocksWithPartialEdges() {
        // 5 x 7 weight in 2 x 3 blocks: scales [3, 3], the last block row and column are partial.
        byte[] w = new byte[35];
        java.util.Arrays.fill(w, (byte) 0x38); // 1.0
        w[6] = (byte) 0xC0;                    // row 0, col 6: -2.0
        w[4 * 7 + 6] = (byte) 0x3C;            // row 4, col 6: 1.5
        byte[] s = new byte[9];
        for (int i = 0; i < 9; i++) s[i] = (byte) (127 - 4 + i); // 2^-4 .. 2^4
        BlockDequant.Matrix m = matrix("F8_E4M3", new long[] {5, 7}, w, "F8_E8M0", new long[] {3, 3}, s, new long[] {2, 3});
        assertEquals(TensorType.BF16, m.storedType(), "power-of-two scales: exact in BF16");
        float[] out = new float[35];
        m.fillRows(0, 5, out);
        for (int r = 0; r < 5; r++) {
            for (int c = 0; c < 7; c++) {
                float scale = (float) Math.pow(2, -4 + (r / 2) * 3 + c / 3);
                float v = r == 0 && c == 6 ? -2f : r == 4 && c == 6 ? 1.5f : 1f;
                assertEquals(v * scale, out[r * 7 + c], "(" + r + ", " + c + ")");
            }
        }
        assertEquals(-2f * 0.25f, out[6]);  // block (0, 2) = 2^-2
        assertEquals(1.5f * 16f, out[34]);  // block (2, 2) = 2^4
        // Rows from the middle, as a converter asks for them.
        float[] two = new float[14];
        m.fillRows(3, 2, two);
        assertArrayEquals(java.util.Arrays.copyOfRange(out, 21, 35), two);
    }

    @Test
    void fp8DefaultBlockIs128AndFloatScalesGiveF32() {
        // 130 x 200: scales [2, 2]; the second block row has 2 rows, the second block column 72 columns.
        int rows = 130, cols = 200;
        byte[] w = new byte[rows * cols];
        java.util.Arrays.fill(w, (byte) 0x40); // 2.0
        float[] scales = {0.25f, 0.3f, -1.5f, 7f};
        BlockDequant.Matrix m = matrix("F8_E4M3", new long[] {rows, cols}, w, "F32", new long[] {2, 2}, floats(scales), null);
        assertEquals(TensorType.F32, m.storedType(), "float scales need F32");
        float[] out = new float[rows * cols];
        m.fillRows(0, rows, out);
        assertEquals(2f * 0.25f, out[0]);
        assertEquals(2f * 0.25f, out[127 * cols + 127]);
        assertEquals(2f * 0.3f, out[127 * cols + 128]);
        assertEquals(2f * -1.5f, out[128 * cols]);
        assertEquals(2f * 7f, out[129 * cols + 199]);
        // One scale for the whole tensor.
        BlockDequant.Matrix whole = matrix("F8_E4M3", new long[] {rows, cols}, w, "BF16", new long[] {1}, new byte[] {0x40, 0x40}, null);
        float[] row = new float[cols];
        whole.fillRows(129, 1, row);
        assertEquals(2f * 3f, row[199]); // BF16 0x4040 = 3.0
    }

    @Test
    void mxfp4NibblesAndScales() {
        // One row of 64: two scale blocks of 32. Low nibble is the even column.
        byte[] w = new byte[32];
        w[0] = 0x21;          // col 0: 0.5, col 1: 1.0
        w[1] = (byte) 0xF7;   // col 2: 6.0, col 3: -6.0
        w[15] = (byte) 0x9B;  // col 30: -1.5 (0xB), col 31: -0.5 (0x9)
        w[16] = 0x5C;         // col 32: -2.0 (0xC), col 33: 3.0 (0x5)
        byte[] s = {(byte) 126, (byte) 130}; // 0.5, 8
        BlockDequant.Matrix m = matrix("I8", new long[] {1, 32}, w, "F8_E8M0", new long[] {1, 2}, s, null);
        assertEquals(BlockDequant.Format.MXFP4, m.format());
        assertEquals(64, m.cols());
        float[] out = new float[64];
        m.fillRows(0, 1, out);
        assertEquals(0.25f, out[0]);
        assertEquals(0.5f, out[1]);
        assertEquals(3f, out[2]);
        assertEquals(-3f, out[3]);
        assertEquals(-0.75f, out[30]);
        assertEquals(-0.25f, out[31]);
        assertEquals(-16f, out[32]);
        assertEquals(24f, out[33]);
        assertEquals(0f, out[63]);
    }

    @Test
    void scaleShapeAndPresenceAreChecked() {
        ModelLoadException wrong = assertThrows(ModelLoadException.class,
                () -> matrix("F8_E4M3", new long[] {130, 200}, new byte[130 * 200], "F8_E8M0", new long[] {1, 2}, new byte[2], null));
        assertTrue(wrong.getMessage().contains("needs [2, 2]"), wrong.getMessage());
        ModelLoadException mx = assertThrows(ModelLoadException.class,
                () -> matrix("U8", new long[] {2, 32}, new byte[64], "F8_E8M0", new long[] {2, 1}, new byte[2], null));
        assertTrue(mx.getMessage().contains("needs [2, 2]"), mx.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile.Entry w = entry(arena, "a.weight", "F8_E4M3", new long[] {4, 4}, new byte[16]);
            ModelLoadException none = assertThrows(ModelLoadException.class, () -> BlockDequant.of(w, Map.of("a.weight", w), null));
            assertTrue(none.getMessage().contains("no scale tensor"), none.getMessage());
        }
    }

    /**
     * A DeepSeek-V4 checkpoint under DeepSeek's names with FP8 attention and shared-expert
     * weights (E8M0 scales in 24×40 blocks, so every edge block is partial) and MXFP4 routed
     * experts loads as exactly the values the codes stand for: tensor by tensor equal to an F32
     * checkpoint of those values, and the same logits.
     */
    @Test
    void quantizedCheckpointLoadsAsItsValues() throws IOException {
        V4Fixture f = V4Fixture.load("tiny-all-kinds");
        Map<String, Object> cfg = DeepseekV4CheckpointTest.officialConfig(f.config());
        cfg.put("quantization_config", Map.of("quant_method", "fp8", "fmt", "e4m3", "scale_fmt", "ue8m0",
                "weight_block_size", List.of(24L, 40L)));
        Map<String, SafetensorsWriter.T> official = DeepseekV4CheckpointTest.officialNames(f.tensors());
        Map<String, SafetensorsWriter.T> quantized = new LinkedHashMap<>();
        Map<String, SafetensorsWriter.T> values = new LinkedHashMap<>();
        int fp8 = 0, fp4 = 0;
        for (Map.Entry<String, SafetensorsWriter.T> e : official.entrySet()) {
            String n = e.getKey();
            SafetensorsWriter.T t = e.getValue();
            String stem = n.endsWith(".weight") ? n.substring(0, n.length() - 7) : n;
            if (n.matches("layers\\.\\d+\\.ffn\\.experts\\.\\d+\\.w[123]\\.weight")) {
                Quantized q = mxfp4(t);
                quantized.put(n, q.weight());
                quantized.put(stem + ".scale", q.scale());
                values.put(n, q.values());
                fp4++;
            } else if (n.matches("layers\\.\\d+\\.(attn\\.(wq_a|wq_b|wkv|wo_a|wo_b|indexer\\.wq_b)|ffn\\.shared_experts\\.w[123])\\.weight")) {
                Quantized q = fp8(t, 24, 40);
                quantized.put(n, q.weight());
                quantized.put(stem + ".scale", q.scale());
                values.put(n, q.values());
                fp8++;
            } else {
                quantized.put(n, t);
                values.put(n, t);
            }
        }
        assertTrue(fp8 > 20 && fp4 > 90, fp8 + " FP8, " + fp4 + " MXFP4 tensors");
        Path q = V4Fixture.write(tmp.resolve("fp8"), cfg, quantized);
        Map<String, Object> plain = new LinkedHashMap<>(cfg);
        plain.remove("quantization_config");
        Path v = V4Fixture.write(tmp.resolve("values"), plain, values);
        try (HfCheckpoint a = HfCheckpoint.open(q); HfCheckpoint b = HfCheckpoint.open(v)) {
            assertEquals(b.plans().keySet(), a.plans().keySet(), "scales are read with their weights, not mapped as tensors");
            assertEquals(TensorType.BF16, a.tensor("blk.1.attn_q_b.weight").type());
            assertEquals(TensorType.BF16, a.tensor("blk.1.ffn_gate_exps.weight").type());
            for (String name : b.plans().keySet()) {
                Tensor ta = a.tensor(name), tb = b.tensor(name);
                assertArrayEquals(tb.shape(), ta.shape(), name);
                if (tb.type() != TensorType.F32) continue; // tid2eid
                float[] fa = new float[Math.toIntExact(ta.elementCount())], fb = new float[fa.length];
                Dequant.row(ta.type(), ta.data(), 0, fa.length, fa, 0);
                Dequant.row(tb.type(), tb.data(), 0, fb.length, fb, 0);
                assertArrayEquals(fb, fa, name);
            }
            WeightMatrix e5 = a.expert("blk.2.ffn_down_exps.weight", 5);
            WeightMatrix e5b = b.expert("blk.2.ffn_down_exps.weight", 5);
            float[] ra = new float[e5.cols()], rb = new float[e5.cols()];
            Dequant.row(e5, 7, ra, 0);
            Dequant.row(e5b, 7, rb, 0);
            assertArrayEquals(rb, ra, "expert 5 row 7");
        }
        List<V4Fixture.Sequence> seq = List.of(f.sequence(12));
        double qErr = f.worstLogitError(q, seq), vErr = f.worstLogitError(v, seq);
        System.out.printf("FP8/MXFP4 tiny-all-kinds: max |logit - transformers| %.4f (quantized dir), %.4f (its values as F32)%n", qErr, vErr);
        assertEquals(vErr, qErr, 1e-4, "the quantized directory computes with the values its codes stand for");
    }

    // ---- a reference encoder, written independently of the decoder under test --------------

    record Quantized(SafetensorsWriter.T weight, SafetensorsWriter.T scale, SafetensorsWriter.T values) {}

    /** Every non-negative finite E4M3 value, from its definition: (8 + m) * 2^(e - 10), or m * 2^-9 when e = 0. */
    private static final float[] E4M3_POSITIVE = new float[127];
    private static final float[] E2M1_POSITIVE = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f};

    static {
        for (int b = 0; b < 127; b++) {
            int e = b >> 3, m = b & 7;
            E4M3_POSITIVE[b] = e == 0 ? m * 0x1p-9f : (8 + m) * (float) Math.pow(2, e - 10);
        }
    }

    private static int nearest(float[] table, float x) {
        int best = 0;
        for (int i = 1; i < table.length; i++) if (Math.abs(table[i] - x) < Math.abs(table[best] - x)) best = i;
        return best;
    }

    /** Smallest power-of-two exponent k with amax / 2^k <= max. */
    private static int exponent(float amax, float max) {
        return amax == 0 ? 0 : (int) Math.ceil(Math.log(amax / max) / Math.log(2));
    }

    static Quantized fp8(SafetensorsWriter.T t, int br, int bc) {
        int rows = (int) t.shape()[0], cols = (int) t.shape()[1];
        float[] w = t.floats();
        int sr = (rows + br - 1) / br, sc = (cols + bc - 1) / bc;
        byte[] codes = new byte[rows * cols], scales = new byte[sr * sc];
        float[] values = new float[rows * cols];
        for (int bi = 0; bi < sr; bi++) {
            for (int bj = 0; bj < sc; bj++) {
                float amax = 0;
                for (int r = bi * br; r < Math.min(rows, (bi + 1) * br); r++)
                    for (int c = bj * bc; c < Math.min(cols, (bj + 1) * bc); c++) amax = Math.max(amax, Math.abs(w[r * cols + c]));
                int k = exponent(amax, 448f);
                scales[bi * sc + bj] = (byte) (k + 127);
                float scale = (float) Math.pow(2, k);
                for (int r = bi * br; r < Math.min(rows, (bi + 1) * br); r++) {
                    for (int c = bj * bc; c < Math.min(cols, (bj + 1) * bc); c++) {
                        float x = w[r * cols + c];
                        int code = nearest(E4M3_POSITIVE, Math.abs(x) / scale);
                        codes[r * cols + c] = (byte) (code | (x < 0 ? 0x80 : 0));
                        values[r * cols + c] = Math.copySign(E4M3_POSITIVE[code] * scale, x);
                    }
                }
            }
        }
        return new Quantized(new SafetensorsWriter.T("F8_E4M3", t.shape(), codes),
                new SafetensorsWriter.T("F8_E8M0", new long[] {sr, sc}, scales), SafetensorsWriter.T.f32(t.shape(), values));
    }

    static Quantized mxfp4(SafetensorsWriter.T t) {
        int rows = (int) t.shape()[0], cols = (int) t.shape()[1];
        float[] w = t.floats();
        byte[] packed = new byte[rows * cols / 2], scales = new byte[rows * cols / 32];
        float[] values = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < cols / 32; b++) {
                float amax = 0;
                for (int c = b * 32; c < b * 32 + 32; c++) amax = Math.max(amax, Math.abs(w[r * cols + c]));
                int k = exponent(amax, 6f);
                scales[r * cols / 32 + b] = (byte) (k + 127);
                float scale = (float) Math.pow(2, k);
                for (int c = b * 32; c < b * 32 + 32; c++) {
                    float x = w[r * cols + c];
                    int code = nearest(E2M1_POSITIVE, Math.abs(x) / scale);
                    int nibble = code | (x < 0 ? 8 : 0);
                    values[r * cols + c] = Math.copySign(E2M1_POSITIVE[code] * scale, x);
                    int at = (r * cols + c) / 2;
                    packed[at] |= (byte) (c % 2 == 0 ? nibble : nibble << 4);
                }
            }
        }
        return new Quantized(new SafetensorsWriter.T("I8", new long[] {rows, cols / 2}, packed),
                new SafetensorsWriter.T("F8_E8M0", new long[] {rows, cols / 32}, scales), SafetensorsWriter.T.f32(t.shape(), values));
    }

    // ---- helpers --------------------------------------------------------------------------

    private static final Arena ARENA = Arena.ofAuto();

    private static BlockDequant.Matrix matrix(String wType, long[] wShape, byte[] w, String sType, long[] sShape, byte[] s, long[] block) {
        SafetensorsFile.Entry we = entry(ARENA, "m.weight", wType, wShape, w);
        SafetensorsFile.Entry se = entry(ARENA, "m.scale", sType, sShape, s);
        Map<String, SafetensorsFile.Entry> all = Map.of(we.name(), we, se.name(), se);
        assertTrue(BlockDequant.isQuantized(we, all));
        return BlockDequant.of(we, all, block);
    }

    private static SafetensorsFile.Entry entry(Arena arena, String name, String dtype, long[] shape, byte[] data) {
        var seg = arena.allocate(Math.max(1, data.length));
        seg.copyFrom(java.lang.foreign.MemorySegment.ofArray(data));
        return new SafetensorsFile.Entry(name, dtype, shape, seg.asSlice(0, data.length), Path.of("test.safetensors"));
    }

    private static byte[] floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }
}
