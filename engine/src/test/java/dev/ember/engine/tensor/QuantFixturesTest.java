package dev.ember.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every block decoder against gguf-py's {@code dequantize}, bit for bit, and the encoders against
 * gguf-py's {@code quantize}, byte for byte, on the fixtures of
 * {@code tools/fixtures/make_quant_fixtures.py} (random blocks with edge blocks first: zero,
 * all-ones, negative and subnormal scales).
 */
class QuantFixturesTest {

    static byte[] resource(String name) throws IOException {
        try (InputStream in = QuantFixturesTest.class.getResourceAsStream("/fixtures/quant/" + name)) {
            if (in == null) throw new IOException("missing fixture " + name + " (run tools/fixtures/make_quant_fixtures.py)");
            return in.readAllBytes();
        }
    }

    static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q5_K", "IQ4_NL", "IQ4_XS", "MXFP4", "Q8_0", "Q4_K", "Q6_K"})
    void decoderIsBitExactAgainstGgufPy(String name) throws IOException {
        TensorType type = TensorType.valueOf(name);
        byte[] blocks = resource(name + ".blocks");
        float[] expected = floats(resource(name + ".f32"));
        int n = blocks.length / type.blockBytes();
        assertEquals(n * type.blockSize(), expected.length, "fixture size");
        float[] got = new float[expected.length];
        Dequant.row(type, MemorySegment.ofArray(blocks), 0, expected.length, got, 0);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(expected[i])) {
                fail(name + " element " + i + " (block " + i / type.blockSize() + ", index " + i % type.blockSize()
                        + "): got " + got[i] + ", gguf-py " + expected[i]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_1", "Q5_0", "Q5_1", "MXFP4"})
    void encoderIsByteExactAgainstGgufPy(String name) throws IOException {
        TensorType type = TensorType.valueOf(name);
        float[] x = floats(resource(name + ".quant.f32"));
        byte[] expected = resource(name + ".quant.blocks");
        byte[] got = Quantize.encode(type, x);
        for (int i = 0; i < expected.length; i++) {
            if (got[i] != expected[i]) {
                fail(name + " byte " + i + " (block " + i / type.blockBytes() + ", offset " + i % type.blockBytes()
                        + "): got " + (got[i] & 0xFF) + ", gguf-py " + (expected[i] & 0xFF));
            }
        }
        assertArrayEquals(expected, got);
    }
}
