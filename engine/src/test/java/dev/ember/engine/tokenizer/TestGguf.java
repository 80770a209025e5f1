package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes tiny metadata-only GGUF files (version 3, no tensors) for tokenizer tests. */
final class TestGguf {
    private final Map<String, Object> kv = new LinkedHashMap<>();

    TestGguf put(String key, Object value) {
        kv.put(key, value);
        return this;
    }

    /** Writes the file under dir and opens it; the caller closes it. */
    GgufFile open(Path dir) {
        try {
            Path file = Files.createTempFile(dir, "tok", ".gguf");
            Files.write(file, bytes());
            return GgufFile.open(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] bytes() {
        Out out = new Out();
        out.u32(0x46554747);
        out.u32(3);
        out.u64(0); // tensors
        out.u64(kv.size());
        for (Map.Entry<String, Object> e : kv.entrySet()) {
            out.str(e.getKey());
            Object v = e.getValue();
            switch (v) {
                case String s -> { out.u32(8); out.str(s); }
                case Boolean b -> { out.u32(7); out.b.write(b ? 1 : 0); }
                case Integer i -> { out.u32(4); out.u32(i); }
                case Float f -> { out.u32(6); out.f32(f); }
                case String[] a -> {
                    out.u32(9); out.u32(8); out.u64(a.length);
                    for (String s : a) out.str(s);
                }
                case int[] a -> {
                    out.u32(9); out.u32(5); out.u64(a.length);
                    for (int x : a) out.u32(x);
                }
                case float[] a -> {
                    out.u32(9); out.u32(6); out.u64(a.length);
                    for (float x : a) out.f32(x);
                }
                default -> throw new IllegalArgumentException("unsupported value " + v);
            }
        }
        while (out.b.size() % 32 != 0) out.b.write(0);
        return out.b.toByteArray();
    }

    private static final class Out {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        void u32(int v) { b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array()); }

        void u64(long v) { b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }

        void f32(float v) { b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array()); }

        void str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            b.writeBytes(bytes);
        }
    }

    /** The 256 byte-level characters in byte order: the base alphabet of every GPT-2 style vocab. */
    static String[] byteLevelAlphabet() {
        String[] out = new String[256];
        for (int b = 0; b < 256; b++) out[b] = String.valueOf(ByteLevel.encode(b));
        return out;
    }
}
