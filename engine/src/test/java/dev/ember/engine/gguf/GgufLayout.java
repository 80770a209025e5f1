package dev.ember.engine.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each field of a valid GGUF file's header lies, found by walking it independently of
 * GgufFile, so that tests can corrupt one field precisely.
 */
final class GgufLayout {
    /** Positions of one metadata entry: its key length, its type id, and its value. */
    record Kv(long keyLenPos, long typePos, long valuePos, int type) {}

    /** Positions of one tensor info's fields. */
    record TensorField(long nameLenPos, long nDimsPos, long dimsPos, long typePos, long offsetPos, int nDims) {}

    static final long TENSOR_COUNT_POS = 8;
    static final long KV_COUNT_POS = 16;

    final Map<String, Kv> kvs = new LinkedHashMap<>();
    final Map<String, TensorField> tensors = new LinkedHashMap<>();
    final long headerEnd;

    GgufLayout(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.position(8);
        long nTensors = b.getLong();
        long nKv = b.getLong();
        for (long i = 0; i < nKv; i++) {
            long keyPos = b.position();
            String key = string(b);
            long typePos = b.position();
            int type = b.getInt();
            long valuePos = b.position();
            skipValue(b, type);
            kvs.put(key, new Kv(keyPos, typePos, valuePos, type));
        }
        for (long i = 0; i < nTensors; i++) {
            long namePos = b.position();
            String name = string(b);
            long nDimsPos = b.position();
            int nDims = b.getInt();
            long dimsPos = b.position();
            b.position(b.position() + 8 * nDims);
            long typePos = b.position();
            b.getInt();
            long offsetPos = b.position();
            b.getLong();
            tensors.put(name, new TensorField(namePos, nDimsPos, dimsPos, typePos, offsetPos, nDims));
        }
        headerEnd = b.position();
    }

    private static String string(ByteBuffer b) {
        int n = (int) b.getLong();
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void skipValue(ByteBuffer b, int type) {
        switch (type) {
            case 0, 1, 7 -> b.get();
            case 2, 3 -> b.getShort();
            case 4, 5, 6 -> b.getInt();
            case 10, 11, 12 -> b.getLong();
            case 8 -> string(b);
            case 9 -> {
                int elem = b.getInt();
                long n = b.getLong();
                for (long i = 0; i < n; i++) skipValue(b, elem);
            }
            default -> throw new IllegalArgumentException("type " + type);
        }
    }

    static byte[] putU32(byte[] file, long pos, long value) {
        byte[] c = file.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt((int) pos, (int) value);
        return c;
    }

    static byte[] putU64(byte[] file, long pos, long value) {
        byte[] c = file.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong((int) pos, value);
        return c;
    }

    static long getU64(byte[] file, long pos) {
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong((int) pos);
    }

    static byte[] putBytes(byte[] file, long pos, byte[] bytes) {
        byte[] c = file.clone();
        System.arraycopy(bytes, 0, c, (int) pos, bytes.length);
        return c;
    }
}
