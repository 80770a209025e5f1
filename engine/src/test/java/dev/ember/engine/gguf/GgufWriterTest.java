package dev.ember.engine.gguf;

import dev.ember.engine.tensor.Quantize;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {
    static final Path MODELS = Path.of(System.getProperty("ember.shared.dir", "../shared"), "models");

    @TempDir Path tmp;

    @Test
    void everyMetadataTypeRoundTrips() throws IOException {
        GgufWriter w = new GgufWriter()
                .putUInt8("u8", 255).putInt8("i8", -128)
                .putUInt16("u16", 65535).putInt16("i16", -32768)
                .putUInt32("u32", 4294967295L).putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", -1L).putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 1.5e-6f).putFloat64("f64", Math.PI)
                .putBool("yes", true).putBool("no", false)
                .putString("s", "héllo 世界 🎉").putString("empty", "")
                .putArray("a.u8", GgufValueType.UINT8, new int[]{0, 255})
                .putArray("a.i8", GgufValueType.INT8, new byte[]{-128, 127})
                .putArray("a.u16", GgufValueType.UINT16, new int[]{0, 65535})
                .putArray("a.i16", GgufValueType.INT16, new short[]{-32768, 32767})
                .putArray("a.u32", GgufValueType.UINT32, new long[]{0, 4294967295L})
                .putInt32Array("a.i32", Integer.MIN_VALUE, -1, Integer.MAX_VALUE)
                .putArray("a.u64", GgufValueType.UINT64, new long[]{-1L, 1L})
                .putArray("a.i64", GgufValueType.INT64, new long[]{Long.MIN_VALUE, Long.MAX_VALUE})
                .putFloat32Array("a.f32", 0.1f, -2f)
                .putArray("a.f64", GgufValueType.FLOAT64, new double[]{0.1, 1e300})
                .putArray("a.bool", GgufValueType.BOOL, new boolean[]{true, false, true})
                .putStringArray("a.str", "a", "", "ü", "<|im_end|>")
                .putStringArray("a.empty", new String[0]);
        Path p = tmp.resolve("meta.gguf");
        w.write(p);
        assertEquals(w.fileSize(), Files.size(p));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals(0, f.tensorInfos().size());
            assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "yes", "no", "s", "empty",
                    "a.u8", "a.i8", "a.u16", "a.i16", "a.u32", "a.i32", "a.u64", "a.i64", "a.f32", "a.f64", "a.bool", "a.str", "a.empty"),
                    List.copyOf(f.metadata().keySet()));
            assertEquals(255L, f.metadata().get("u8"));
            assertEquals(-128L, f.metadata().get("i8"));
            assertEquals(65535L, f.metadata().get("u16"));
            assertEquals(-32768L, f.metadata().get("i16"));
            assertEquals(4294967295L, f.metadata().get("u32"));
            assertEquals((long) Integer.MIN_VALUE, f.metadata().get("i32"));
            assertEquals(-1L, f.metadata().get("u64"));
            assertEquals(Long.MIN_VALUE, f.metadata().get("i64"));
            assertEquals((double) 1.5e-6f, f.metadata().get("f32"));
            assertEquals(Math.PI, f.metadata().get("f64"));
            assertEquals(true, f.metadata().get("yes"));
            assertEquals(false, f.metadata().get("no"));
            assertEquals("héllo 世界 🎉", f.getString("s"));
            assertEquals("", f.getString("empty"));
            assertEquals(List.of(GgufValueType.UINT8, GgufValueType.INT8, GgufValueType.UINT16, GgufValueType.INT16,
                    GgufValueType.UINT32, GgufValueType.INT32, GgufValueType.UINT64, GgufValueType.INT64,
                    GgufValueType.FLOAT32, GgufValueType.FLOAT64, GgufValueType.BOOL, GgufValueType.STRING),
                    Stream.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "yes", "s").map(f::metadataType).toList());
            assertArrayEquals(new long[]{0, 255}, f.getLongArray("a.u8"));
            assertArrayEquals(new long[]{-128, 127}, f.getLongArray("a.i8"));
            assertArrayEquals(new long[]{0, 65535}, f.getLongArray("a.u16"));
            assertArrayEquals(new long[]{-32768, 32767}, f.getLongArray("a.i16"));
            assertArrayEquals(new long[]{0, 4294967295L}, f.getLongArray("a.u32"));
            // a u32 above Integer.MAX_VALUE read as ints: the user's error names the key, not an ArithmeticException
            GgufException outOfRange = assertThrows(GgufException.class, () -> f.getIntArray("a.u32"));
            assertTrue(outOfRange.getMessage().contains("'a.u32'[1] = 4294967295"), outOfRange.getMessage());
            assertArrayEquals(new int[]{Integer.MIN_VALUE, -1, Integer.MAX_VALUE}, f.getIntArray("a.i32"));
            assertArrayEquals(new long[]{-1L, 1L}, f.getLongArray("a.u64"));
            assertArrayEquals(new long[]{Long.MIN_VALUE, Long.MAX_VALUE}, f.getLongArray("a.i64"));
            assertArrayEquals(new float[]{0.1f, -2f}, f.getFloatArray("a.f32"));
            assertArrayEquals(new double[]{0.1, 1e300}, (double[]) f.metadata().get("a.f64"));
            assertArrayEquals(new boolean[]{true, false, true}, (boolean[]) f.metadata().get("a.bool"));
            assertArrayEquals(new String[]{"a", "", "ü", "<|im_end|>"}, f.getStringArray("a.str"));
            assertArrayEquals(new String[0], f.getStringArray("a.empty"));
            for (String k : List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64")) {
                assertEquals(f.metadataType(k), f.metadataElementType("a." + k), k);
            }
            assertEquals(GgufValueType.STRING, f.metadataElementType("a.str"));
            assertEquals(GgufValueType.BOOL, f.metadataElementType("a.bool"));
        }
    }

    private static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Rows {@code first..} of a row-major float array, as a FloatRows source. */
    private static GgufWriter.FloatRows rowsOf(float[] x, int rowLength) {
        return (first, count, out) -> System.arraycopy(x, (int) (first * rowLength), out, 0, count * rowLength);
    }

    @Test
    void tensorsOfEveryTypeRoundTripWithAlignment() throws IOException {
        for (int alignment : new int[]{32, 64, 4096}) {
            // 5000 rows of 64 span two writer chunks; the 3-D and 1-D tensors check other shapes.
            float[] big = randomFloats(64 * 5000, 1);
            float[] small = randomFloats(96 * 3 * 2, 2);
            float[] vec = randomFloats(7, 3);
            GgufWriter w = new GgufWriter().alignment(alignment).putString("general.architecture", "test");
            w.addTensor("vec", vec, 7);
            for (TensorType t : new TensorType[]{TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0}) {
                w.addTensor("big." + t, t, new long[]{64, 5000}, rowsOf(big, 64));
                w.addTensor("small." + t, t, new long[]{96, 3, 2}, rowsOf(small, 96));
            }
            Path p1 = tmp.resolve("t1-" + alignment + ".gguf");
            Path p3 = tmp.resolve("t3-" + alignment + ".gguf");
            w.write(p1, 1);
            w.write(p3, 3);
            assertEquals(-1, Files.mismatch(p1, p3), "thread count must not change the bytes");
            assertEquals(w.fileSize(), Files.size(p1));
            try (GgufFile f = GgufFile.open(p1)) {
                assertEquals(alignment, f.alignment());
                assertEquals(w.dataOffset(), f.dataOffset());
                assertEquals(0, f.dataOffset() % alignment);
                // llama.cpp requires exactly this packing: each offset is the padded end of the one before.
                long expectedOffset = 0;
                for (GgufTensorInfo info : f.tensorInfos().values()) {
                    assertEquals(expectedOffset, info.offset(), info.name());
                    expectedOffset += GgufFile.alignUp(info.byteSize(), alignment);
                }
                assertEquals(Files.size(p1), f.dataOffset() + expectedOffset);
                assertArrayEquals(bytes(TensorType.F32, vec), f.tensor("vec").data().toArray(ValueLayout.JAVA_BYTE));
                for (TensorType t : new TensorType[]{TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0}) {
                    assertEquals(t, f.tensorInfos().get("big." + t).type());
                    assertArrayEquals(new long[]{64, 5000}, f.tensorInfos().get("big." + t).shape());
                    assertArrayEquals(new long[]{96, 3, 2}, f.tensorInfos().get("small." + t).shape());
                    assertArrayEquals(bytes(t, big), f.tensor("big." + t).data().toArray(ValueLayout.JAVA_BYTE), "big." + t);
                    assertArrayEquals(bytes(t, small), f.tensor("small." + t).data().toArray(ValueLayout.JAVA_BYTE), "small." + t);
                }
            }
        }
    }

    private static byte[] bytes(TensorType t, float[] x) {
        return Quantize.encode(t, x);
    }

    @Test
    void copiesARealFileByteForByte() throws IOException {
        for (String name : List.of("stories260K.gguf", "stories260K-Q8_0.gguf")) {
            Path src = MODELS.resolve(name);
            Path copy = tmp.resolve(name);
            try (GgufFile f = GgufFile.open(src)) {
                GgufWriter w = new GgufWriter().putAll(f);
                for (GgufTensorInfo t : f.tensorInfos().values()) w.addTensor(t.name(), t.type(), t.shape(), f.tensor(t.name()).data());
                w.write(copy, 2);
            }
            assertEquals(-1, Files.mismatch(src, copy), name);
        }
    }

    @Test
    void byteSourcesAndTheirSizeIsChecked() throws IOException {
        byte[] raw = new byte[34 * 4];
        new Random(5).nextBytes(raw);
        for (int b = 0; b < 4; b++) { raw[b * 34] = 0; raw[b * 34 + 1] = 0x3C; } // finite scales
        Path p = tmp.resolve("raw.gguf");
        new GgufWriter()
                .addTensor("q", TensorType.Q8_0, new long[]{64, 2}, out -> {
                    out.write(ByteBuffer.wrap(raw, 0, 50));
                    out.write(ByteBuffer.wrap(raw, 50, raw.length - 50));
                })
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertArrayEquals(raw, f.tensor("q").data().toArray(ValueLayout.JAVA_BYTE));
        }
        Path bad = tmp.resolve("short.gguf");
        GgufWriter shortSource = new GgufWriter().addTensor("q", TensorType.Q8_0, new long[]{64, 2}, out -> out.write(ByteBuffer.wrap(raw, 0, 10)));
        IOException e = assertThrows(IOException.class, () -> shortSource.write(bad));
        assertTrue(e.getMessage().contains("'q'"), e.getMessage());
        GgufWriter longSource = new GgufWriter().addTensor("q", TensorType.Q8_0, new long[]{64, 2}, out -> out.write(ByteBuffer.allocate(200)));
        assertThrows(IOException.class, () -> longSource.write(bad));
        assertFalse(Files.exists(bad));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(p), files.toList(), "no temporary files may be left behind");
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileInPlace() throws IOException {
        Path p = tmp.resolve("model.gguf");
        new GgufWriter().putString("v", "old").write(p);
        byte[] before = Files.readAllBytes(p);
        GgufWriter failing = new GgufWriter().putString("v", "new").addTensor("t", TensorType.F32, new long[]{32, 1000},
                (GgufWriter.FloatRows) (first, count, out) -> { throw new IllegalStateException("generator failed"); });
        assertThrows(IllegalStateException.class, () -> failing.write(p, 2));
        assertArrayEquals(before, Files.readAllBytes(p));
        new GgufWriter().putString("v", "new").write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("new", f.getString("v"));
        }
    }

    /** Writing a 16 MiB tensor on the calling thread allocates a small, fixed amount of heap (the 1 MiB row chunk). */
    @Test
    void streamsTensorDataWithoutHoldingIt() throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rowLength = 2048, rows = 2048; // 4 M floats
        GgufWriter w = new GgufWriter().addTensor("big", TensorType.F32, new long[]{rowLength, rows},
                (first, count, out) -> { for (int i = 0; i < count * rowLength; i++) out[i] = first + i; });
        Path p = tmp.resolve("big.gguf");
        w.write(p); // warm up code paths and the header cache
        long before = threads.getCurrentThreadAllocatedBytes();
        w.write(p);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(16L << 20, Files.size(p) - w.dataOffset());
        assertTrue(allocated < 4L << 20, "writing 16 MiB allocated " + allocated + " bytes of heap");
    }

    @Test
    void rejectsInvalidInput() {
        GgufWriter w = new GgufWriter().putString("k", "v");
        assertThrows(IllegalArgumentException.class, () -> w.putString("k", "again"));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt8("u8", 256));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("u32", -1));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("a", GgufValueType.INT8, new int[]{200}));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("a", GgufValueType.STRING, new int[]{1}));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("a", GgufValueType.ARRAY, new Object[0]));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt64("general.alignment", 64));
        w.addTensor("t", new float[32], 32);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", new float[32], 32));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("wrong-size", new float[31], 32));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("x".repeat(64), new float[32], 32));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("zero", TensorType.F32, new long[]{32, 0}, (f, c, o) -> { }));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("5d", TensorType.F32, new long[]{1, 1, 1, 1, 1}, (f, c, o) -> { }));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", TensorType.Q8_0, new long[]{48, 2}, (f, c, o) -> { }));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("q4k", TensorType.Q4_K, new long[]{256}, (f, c, o) -> { }));
        assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("seg", TensorType.F32, new long[]{32}, MemorySegment.ofArray(new byte[100])));
    }

    /** A metadata-only file built in memory (toBytes, GgufFile.of) is the file write produces, read the same way. */
    @Test
    void metadataOnlyFilesRoundTripInMemory() throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama")
                .putStringArray("tokenizer.ggml.tokens", "a", "", "ü", "<|im_end|>").putInt32Array("ids", 1, -2);
        Path p = tmp.resolve("meta.gguf");
        w.write(p);
        byte[] bytes = w.toBytes();
        assertArrayEquals(Files.readAllBytes(p), bytes);
        try (GgufFile f = GgufFile.of(Path.of("in-memory.gguf"), bytes)) {
            assertEquals("llama", f.getString("general.architecture"));
            assertArrayEquals(new String[]{"a", "", "ü", "<|im_end|>"}, (String[]) f.metadata().get("tokenizer.ggml.tokens"));
            assertEquals(0, f.tensorInfos().size());
        }
        // a truncated string element is named, as from a file
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.of(Path.of("cut.gguf"), java.util.Arrays.copyOf(bytes, 100)));
        assertTrue(e.getMessage().startsWith("cut.gguf: "), e.getMessage());
        assertThrows(IllegalStateException.class, () -> new GgufWriter().addTensor("t", new float[]{1f}, 1).toBytes());
    }
}
