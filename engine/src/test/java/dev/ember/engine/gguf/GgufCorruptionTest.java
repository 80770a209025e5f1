package dev.ember.engine.gguf;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ember.engine.gguf.GgufLayout.getU64;
import static dev.ember.engine.gguf.GgufLayout.putBytes;
import static dev.ember.engine.gguf.GgufLayout.putU32;
import static dev.ember.engine.gguf.GgufLayout.putU64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Corrupted variants of a real GGUF file (stories260K) must each fail with a GgufException that
 * names the file and the problem: never an OutOfMemoryError, a hang, or a bare runtime exception
 * from deep inside the parser.
 */
class GgufCorruptionTest {
    static final Path STORIES = Path.of(System.getProperty("ember.shared.dir", "../shared"), "models", "stories260K.gguf");

    static byte[] original;
    static GgufLayout layout;
    static long dataStart;

    @TempDir Path tmp;
    private final AtomicInteger cases = new AtomicInteger();

    @BeforeAll
    static void load() throws IOException {
        original = Files.readAllBytes(STORIES);
        layout = new GgufLayout(original);
        dataStart = GgufFile.alignUp(layout.headerEnd, 32);
    }

    // ---- helpers ----------------------------------------------------------------------

    private Path file(byte[] bytes) throws IOException {
        Path p = tmp.resolve("case-" + cases.incrementAndGet() + ".gguf");
        Files.write(p, bytes);
        return p;
    }

    /** Opening {@code bytes} must fail with a GgufException naming the file and containing each fragment. */
    private GgufException expectFailure(byte[] bytes, String... fragments) throws IOException {
        return expectFailure(file(bytes), fragments);
    }

    private static GgufException expectFailure(Path p, String... fragments) {
        try (GgufFile f = GgufFile.open(p)) {
            fail("expected " + p.getFileName() + " to be rejected (" + String.join(", ", fragments) + "), but it opened with "
                    + f.tensorInfos().size() + " tensors");
            return null;
        } catch (GgufException e) {
            String m = e.getMessage();
            assertTrue(m.contains(p.toString()), "message should name the file: " + m);
            for (String fr : fragments) {
                assertTrue(m.toLowerCase(Locale.ROOT).contains(fr.toLowerCase(Locale.ROOT)), "message should mention '" + fr + "': " + m);
            }
            return e;
        } catch (Throwable t) {
            throw new AssertionError("expected a GgufException for " + p.getFileName() + ", got " + t, t);
        }
    }

    private static GgufLayout.Kv kv(String key) { return layout.kvs.get(key); }

    private static GgufLayout.TensorField tensor(String name) { return layout.tensors.get(name); }

    // ---- the original is fine -------------------------------------------------------------

    @Test
    void originalOpens() throws IOException {
        try (GgufFile f = GgufFile.open(file(original))) {
            assertEquals(48, f.tensorInfos().size());
        }
    }

    // ---- truncation -------------------------------------------------------------------------

    @Test
    void truncatedAnywhere() throws IOException {
        TreeSet<Long> cuts = new TreeSet<>();
        for (long c = 0; c <= 32; c++) cuts.add(c);
        for (long c = 33; c < dataStart + 64; c += 53) cuts.add(c);
        // Just before, at and just after the start of every field.
        for (GgufLayout.Kv k : layout.kvs.values()) {
            for (long p : new long[]{k.keyLenPos(), k.typePos(), k.valuePos()}) { cuts.add(p - 1); cuts.add(p); cuts.add(p + 1); }
        }
        for (GgufLayout.TensorField t : layout.tensors.values()) {
            for (long p : new long[]{t.nameLenPos(), t.nDimsPos(), t.dimsPos(), t.typePos(), t.offsetPos()}) { cuts.add(p); cuts.add(p + 3); }
        }
        cuts.add(layout.headerEnd);
        cuts.add(dataStart);
        cuts.add(dataStart + 1);
        cuts.add((long) original.length / 2);
        cuts.add((long) original.length - 1);
        for (long cut : cuts) {
            expectFailure(Arrays.copyOf(original, (int) cut), "truncated");
        }
    }

    @Test
    void emptyFileAndDirectoryAndMissingFile() throws IOException {
        expectFailure(new byte[0], "too short");
        Path dir = Files.createDirectory(tmp.resolve("dir.gguf"));
        expectFailure(dir, "directory");
        expectFailure(tmp.resolve("absent.gguf"), "no such file");
    }

    // ---- header ----------------------------------------------------------------------------

    @Test
    void wrongMagic() throws IOException {
        expectFailure(putBytes(original, 0, "GGUX".getBytes(StandardCharsets.US_ASCII)), "magic");
        expectFailure("this is a text file, clearly not a model at all\n".getBytes(StandardCharsets.US_ASCII), "magic");
    }

    @Test
    void unsupportedVersions() throws IOException {
        expectFailure(putU32(original, 4, 1), "version 1");
        expectFailure(putU32(original, 4, 99), "version 99");
        expectFailure(putU32(original, 4, 0), "version 0");
        expectFailure(putU32(original, 4, Integer.reverseBytes(3)), "big-endian");
    }

    @Test
    void absurdCounts() throws IOException {
        expectFailure(putU64(original, GgufLayout.TENSOR_COUNT_POS, 1L << 40), "tensor count");
        expectFailure(putU64(original, GgufLayout.TENSOR_COUNT_POS, -1L), "tensor count");
        expectFailure(putU64(original, GgufLayout.KV_COUNT_POS, 1L << 40), "metadata count");
        expectFailure(putU64(original, GgufLayout.KV_COUNT_POS, -1L), "metadata count");
        // Plausible but wrong counts make the parser read tensor infos as metadata or run off the end.
        expectFailure(putU64(original, GgufLayout.KV_COUNT_POS, 20));
        expectFailure(putU64(original, GgufLayout.TENSOR_COUNT_POS, 49));
    }

    // ---- metadata --------------------------------------------------------------------------

    @Test
    void absurdStringLengths() throws IOException {
        long key = kv("general.architecture").keyLenPos();
        expectFailure(putU64(original, key, 1L << 40), "string length");
        expectFailure(putU64(original, key, -1L), "absurd");
        expectFailure(putU64(original, key, original.length - key - 10), "truncated");
        long value = kv("general.architecture").valuePos();
        expectFailure(putU64(original, value, 1L << 50), "string length", "general.architecture");
        // A token string's length, inside an array.
        long firstToken = kv("tokenizer.ggml.tokens").valuePos() + 12;
        expectFailure(putU64(original, firstToken, 1L << 33), "string length", "tokenizer.ggml.tokens");
    }

    @Test
    void absurdArrayLengths() throws IOException {
        long tokensCount = kv("tokenizer.ggml.tokens").valuePos() + 4;
        expectFailure(putU64(original, tokensCount, 1L << 40), "tokenizer.ggml.tokens", "elements");
        expectFailure(putU64(original, tokensCount, -1L), "absurd");
        long scoresCount = kv("tokenizer.ggml.scores").valuePos() + 4;
        expectFailure(putU64(original, scoresCount, 1L << 30), "tokenizer.ggml.scores", "truncated or corrupt");
        long typesCount = kv("tokenizer.ggml.token_type").valuePos() + 4;
        expectFailure(putU64(original, typesCount, original.length), "tokenizer.ggml.token_type", "elements");
    }

    @Test
    void arrayTooLongForMemoryEvenIfTheFileHoldsIt() throws IOException {
        // 20 M one-byte elements fit in a 20 MB file but would take 160 MB as long[]: refuse.
        // The file is sparse, so the test writes only the header.
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
        b.putLong(3).put("big".getBytes(StandardCharsets.US_ASCII)).putInt(GgufValueType.ARRAY.id());
        b.putInt(GgufValueType.UINT8.id()).putLong(20_000_000);
        Path p = tmp.resolve("sparse.gguf");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(b.array(), 0, b.position());
            f.setLength(b.position() + 20_000_000L);
        }
        expectFailure(p, "big", "absurd");
    }

    @Test
    void unknownMetadataValueTypes() throws IOException {
        long type = kv("general.architecture").typePos();
        expectFailure(putU32(original, type, 13), "general.architecture", "unknown value type 13");
        expectFailure(putU32(original, type, 0xFFFFFFFFL), "unknown value type 4294967295");
        long elem = kv("tokenizer.ggml.tokens").valuePos();
        expectFailure(putU32(original, elem, 13), "tokenizer.ggml.tokens", "unknown element type 13");
    }

    @Test
    void nestedArraysTooDeep() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
        b.putLong(4).put("deep".getBytes(StandardCharsets.US_ASCII)).putInt(GgufValueType.ARRAY.id());
        for (int i = 0; i < 40; i++) b.putInt(GgufValueType.ARRAY.id()).putLong(1);
        b.putInt(GgufValueType.UINT8.id()).putLong(1).put((byte) 7);
        expectFailure(Arrays.copyOf(b.array(), b.position()), "deep", "nests");
    }

    @Test
    void duplicateKeyAndTensorName() throws IOException {
        long bos = kv("tokenizer.ggml.bos_token_id").keyLenPos() + 8;
        expectFailure(putBytes(original, bos, "tokenizer.ggml.eos_token_id".getBytes(StandardCharsets.US_ASCII)),
                "tokenizer.ggml.eos_token_id", "twice");
        long q0 = tensor("blk.0.attn_q.weight").nameLenPos() + 8;
        expectFailure(putBytes(original, q0, "blk.1.attn_q.weight".getBytes(StandardCharsets.US_ASCII)),
                "blk.1.attn_q.weight", "twice");
    }

    @Test
    void badAlignmentAndBoolValues() throws IOException {
        GgufWriter w = new GgufWriter().putBool("flag", true).alignment(64);
        w.addTensor("t", new float[32], 32);
        Path good = tmp.resolve("good.gguf");
        w.write(good);
        byte[] bytes = Files.readAllBytes(good);
        GgufLayout l = new GgufLayout(bytes);
        long align = l.kvs.get("general.alignment").valuePos();
        expectFailure(putU32(bytes, align, 3), "general.alignment", "power of two");
        expectFailure(putU32(bytes, align, 0), "general.alignment");
        expectFailure(putU32(bytes, align, 1 << 30), "general.alignment");
        expectFailure(putBytes(bytes, l.kvs.get("flag").valuePos(), new byte[]{2}), "flag", "bool");
    }

    // ---- tensor infos ---------------------------------------------------------------------

    @Test
    void badTensorOffsets() throws IOException {
        long off = tensor("blk.0.attn_q.weight").offsetPos();
        long value = getU64(original, off);
        expectFailure(putU64(original, off, original.length), "blk.0.attn_q.weight", "outside the file");
        expectFailure(putU64(original, off, value + 1), "blk.0.attn_q.weight", "not aligned");
        expectFailure(putU64(original, off, Long.MAX_VALUE & ~31L), "blk.0.attn_q.weight", "outside the file");
        expectFailure(putU64(original, off, -32L), "offset", "absurd");
        // The last tensor moved one alignment step on runs 32 bytes past the end.
        GgufLayout.TensorField last = tensor("blk.4.ffn_norm.weight");
        expectFailure(putU64(original, last.offsetPos(), getU64(original, last.offsetPos()) + 32), "blk.4.ffn_norm.weight", "outside the file");
    }

    @Test
    void unknownTensorTypes() throws IOException {
        long type = tensor("blk.0.attn_q.weight").typePos();
        // Q5_K (13) and Q4_1 (3) were the examples here until issue 13 added them
        expectFailure(putU32(original, type, 16), "blk.0.attn_q.weight", "IQ2_XXS");
        expectFailure(putU32(original, type, 19), "blk.0.attn_q.weight", "IQ1_S");
        expectFailure(putU32(original, type, 999), "blk.0.attn_q.weight", "999");
        expectFailure(putU32(original, type, 0xFFFFFFFFL), "blk.0.attn_q.weight", "4294967295");
    }

    @Test
    void rowNotAMultipleOfTheBlockSize() throws IOException {
        // output_norm has 64 elements; Q4_K blocks hold 256.
        expectFailure(putU32(original, tensor("output_norm.weight").typePos(), 12), "output_norm.weight", "block size");
    }

    @Test
    void badDimensions() throws IOException {
        GgufLayout.TensorField t = tensor("token_embd.weight");
        expectFailure(putU32(original, t.nDimsPos(), 5), "token_embd.weight", "5 dimensions");
        expectFailure(putU32(original, t.nDimsPos(), 0), "token_embd.weight", "0 dimensions");
        expectFailure(putU32(original, t.nDimsPos(), 0xFFFFFFFFL), "token_embd.weight", "4294967295 dimensions");
        expectFailure(putU64(original, t.dimsPos(), 0), "token_embd.weight", "zero dimension");
        expectFailure(putU64(original, t.dimsPos() + 8, 0), "token_embd.weight", "zero dimension");
        expectFailure(putU64(original, t.dimsPos() + 8, 1L << 50), "token_embd.weight", "absurd dimension");
        expectFailure(putU64(original, t.dimsPos() + 8, -1L), "token_embd.weight", "absurd");
        // Plausible dimensions whose data runs past the end of the file.
        expectFailure(putU64(original, t.dimsPos() + 8, 512 * 40), "token_embd.weight", "outside the file");
    }

    // ---- fuzz ------------------------------------------------------------------------------

    @Test
    void randomByteFlipsInTheHeader() throws IOException {
        Random random = new Random(0x6767_5546L);
        Path p = tmp.resolve("fuzz.gguf");
        int opened = 0, rejected = 0;
        for (int iter = 0; iter < 400; iter++) {
            byte[] bytes = original.clone();
            int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips; i++) {
                // Half the flips hit the fixed header and the small scalar entries, where they
                // matter most; the rest anywhere before the tensor data.
                int pos = random.nextBoolean() ? random.nextInt(24) + (random.nextBoolean() ? 0 : (int) kv("tokenizer.ggml.model").keyLenPos())
                        : random.nextInt((int) dataStart);
                if (pos >= dataStart) pos = random.nextInt((int) dataStart);
                bytes[pos] ^= (byte) (1 << random.nextInt(8));
            }
            Files.write(p, bytes);
            try (GgufFile f = GgufFile.open(p)) {
                // Whatever opened must be fully usable.
                for (String name : f.tensorInfos().keySet()) f.tensor(name).data().byteSize();
                opened++;
            } catch (GgufException e) {
                assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
                rejected++;
            } catch (Throwable t) {
                throw new AssertionError("iteration " + iter + ": expected success or a GgufException, got " + t, t);
            }
        }
        assertTrue(rejected > 50, "most flips in the fixed header should be caught, rejected " + rejected);
        assertTrue(opened > 50, "flips inside strings and float values are harmless, opened " + opened);
    }
}
