package dev.ember.engine.gguf;

import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped through the FFM API. The header and metadata are
 * parsed eagerly; tensor data stays in the mapping and {@link #tensor(String)} returns views of it.
 *
 * <p>Every count, length and offset is checked against the file size before it is used, so a
 * corrupt file fails with a {@link GgufException} naming the file and the problem, never with an
 * OutOfMemoryError or a bare IndexOutOfBoundsException.
 *
 * <p>Metadata values are exposed as Java objects: integers as Long (Integer/Short/Byte never
 * appear), floats as Double, BOOL as Boolean, STRING as String, and arrays as primitive arrays
 * ({@code long[]}, {@code double[]}, {@code boolean[]}) or {@code String[]}, or {@code Object[]}
 * for arrays of arrays.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /**
     * Strings longer than this in a header are treated as corruption, not read. The longest real
     * ones are chat templates of a few hundred KiB; reading a corrupt length of hundreds of MiB
     * would cost two to three times that in heap before anything else fails.
     */
    private static final long MAX_STRING = 1L << 26;
    /**
     * Metadata arrays longer than this are treated as corruption. Real ones are vocabularies and
     * merge lists of at most a few hundred thousand entries; integer arrays are held as long[], so
     * a corrupt count could otherwise ask for eight times the file's size in heap.
     */
    private static final long MAX_ARRAY = 1L << 24;
    /** Arrays of arrays deeper than this are corruption (llama.cpp rejects any nesting). */
    private static final int MAX_ARRAY_DEPTH = 8;
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> metadataTypes;
    private final Map<String, GgufValueType> metadataElementTypes;
    private final Map<String, GgufTensorInfo> tensors;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader r = new Reader();
        if (file.byteSize() < 24) fail("file is " + file.byteSize() + " bytes, too short for a GGUF header; the file is truncated or not a GGUF file");
        int magic = r.i32();
        if (magic != MAGIC) {
            fail(String.format("wrong magic 0x%08x, expected \"GGUF\"; is this a GGUF model file?", magic));
        }
        this.version = r.i32();
        if (version == 1) fail("GGUF version 1 is not supported (only 2 and 3); re-convert the model with a current llama.cpp");
        if (version < 2 || version > 3) {
            if (Integer.reverseBytes(version) >= 2 && Integer.reverseBytes(version) <= 3) {
                fail("big-endian GGUF files are not supported");
            }
            fail("unsupported GGUF version " + version + " (supported: 2, 3)");
        }
        long tensorCount = r.u64("tensor count");
        long kvCount = r.u64("metadata count");
        // Each metadata entry needs at least 8 (key length) + 4 (type) + 1 bytes, each tensor info
        // at least 8 + 4 + 4 + 8: bound the counts by what the file could hold.
        if (kvCount > file.byteSize() / 13) {
            fail("absurd metadata count " + kvCount + " for a file of " + file.byteSize() + " bytes; the file is truncated or corrupt");
        }
        if (tensorCount > file.byteSize() / 24) {
            fail("absurd tensor count " + tensorCount + " for a file of " + file.byteSize() + " bytes; the file is truncated or corrupt");
        }

        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, GgufValueType> metaTypes = new LinkedHashMap<>();
        Map<String, GgufValueType> elemTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("metadata key #" + i);
            int typeId = r.i32();
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) fail("metadata key '" + key + "' has unknown value type " + Integer.toUnsignedString(typeId));
            // Peek the element type so that a writer can reproduce the file exactly.
            if (type == GgufValueType.ARRAY && r.pos + 4 <= file.byteSize()) {
                GgufValueType elem = GgufValueType.fromId(file.get(INT, r.pos));
                if (elem != null) elemTypes.put(key, elem);
            }
            Object value = r.value(type, key, 0);
            // llama.cpp rejects duplicate keys too: which of the two values wins would be arbitrary.
            if (meta.put(key, value) != null) fail("metadata key '" + key + "' appears twice");
            metaTypes.put(key, type);
        }
        this.metadata = Collections.unmodifiableMap(meta);
        this.metadataTypes = Collections.unmodifiableMap(metaTypes);
        this.metadataElementTypes = Collections.unmodifiableMap(elemTypes);

        Object align = meta.get("general.alignment");
        int a = DEFAULT_ALIGNMENT;
        if (align != null) {
            if (!(align instanceof Long l) || l <= 0 || l > (1 << 20) || (l & (l - 1)) != 0) {
                fail("general.alignment must be a power of two up to 1 MiB, found " + align);
            }
            a = (int) (long) (Long) align;
        }
        this.alignment = a;

        List<Object[]> raw = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = r.string("tensor name #" + i);
            int nDims = r.i32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                fail("tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.u64("dimension of tensor '" + name + "'");
                if (shape[d] == 0) fail("tensor '" + name + "' has a zero dimension (dimension " + d + ")");
                if (shape[d] > file.byteSize() * 8) {
                    fail("tensor '" + name + "' has absurd dimension " + shape[d]);
                }
                elements = Math.multiplyHigh(elements, shape[d]) != 0 ? -1 : elements * shape[d];
                if (elements < 0 || elements > file.byteSize() * 8) fail("tensor '" + name + "' has absurd element count");
            }
            int typeId = r.i32();
            TensorType type = typeId < 0 ? null : TensorType.fromGgmlId(typeId);
            if (type == null) {
                fail("tensor '" + name + "' has type " + (typeId < 0 ? "type#" + Integer.toUnsignedString(typeId) : TensorType.ggmlName(typeId))
                        + ", which Ember does not support (supported: " + TensorType.supportedWeightTypes() + "); re-quantize the model to one of these");
            }
            if (shape[0] % type.blockSize() != 0) {
                fail("tensor '" + name + "' of type " + type + " has row length " + shape[0] + ", not a multiple of the block size " + type.blockSize());
            }
            long offset = r.u64("offset of tensor '" + name + "'");
            raw.add(new Object[]{name, shape, type, offset, type.bytesFor(elements)});
        }
        long dataStart = alignUp(r.pos, alignment);
        this.dataOffset = dataStart;
        Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
        for (Object[] t : raw) {
            String name = (String) t[0];
            long offset = (Long) t[3];
            long size = (Long) t[4];
            if (offset % alignment != 0) fail("tensor '" + name + "' has offset " + offset + ", not aligned to " + alignment);
            if (offset < 0 || dataStart + offset < dataStart || dataStart + offset + size > file.byteSize() || dataStart + offset + size < 0) {
                fail("tensor '" + name + "' lies outside the file (data at " + (dataStart + offset) + ", " + size
                        + " bytes, file is " + file.byteSize() + " bytes); the file is truncated or corrupt");
            }
            if (infos.put(name, new GgufTensorInfo(name, (long[]) t[1], (TensorType) t[2], offset, size)) != null) {
                fail("tensor name '" + name + "' appears twice");
            }
        }
        this.tensors = Collections.unmodifiableMap(infos);
    }

    /** Opens and maps a GGUF file. The mapping lives until {@link #close()}. */
    public static GgufFile open(Path path) {
        if (!Files.exists(path)) throw new GgufException(path + ": no such file");
        if (Files.isDirectory(path)) throw new GgufException(path + ": is a directory, expected a .gguf file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufException(path + ": no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new GgufException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a GGUF held in memory (one built by {@link GgufWriter#toBytes()}, say); {@code path}
     * names it in messages. Closing it only ends its arena: the bytes are on the heap.
     */
    public static GgufFile of(Path path, byte[] bytes) {
        Arena arena = Arena.ofConfined();
        try {
            return new GgufFile(path, arena, MemorySegment.ofArray(bytes));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() { return path; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    public long dataOffset() { return dataOffset; }
    public Map<String, Object> metadata() { return metadata; }
    public GgufValueType metadataType(String key) { return metadataTypes.get(key); }

    /** The element type of an ARRAY metadata value, or null when {@code key} is not an array. */
    public GgufValueType metadataElementType(String key) { return metadataElementTypes.get(key); }
    public Map<String, GgufTensorInfo> tensorInfos() { return tensors; }
    public boolean hasTensor(String name) { return tensors.containsKey(name); }

    /** A view of the named tensor's data, or a GgufException naming the missing tensor. */
    public Tensor tensor(String name) {
        GgufTensorInfo info = tensors.get(name);
        if (info == null) throw new GgufException(path + ": missing tensor '" + name + "'");
        return new Tensor(name, info.type(), info.shape(), file.asSlice(dataOffset + info.offset(), info.byteSize()));
    }

    public boolean has(String key) { return metadata.containsKey(key); }

    public String getString(String key) {
        Object v = require(key);
        if (v instanceof String s) return s;
        throw typeError(key, "a string", v);
    }

    public String getString(String key, String fallback) { return has(key) ? getString(key) : fallback; }

    public long getLong(String key) {
        Object v = require(key);
        if (v instanceof Long l) return l;
        throw typeError(key, "an integer", v);
    }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new GgufException(path + ": metadata '" + key + "' = " + v + " is out of int range");
        return (int) v;
    }

    public int getInt(String key, int fallback) { return has(key) ? getInt(key) : fallback; }

    public double getDouble(String key) {
        Object v = require(key);
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw typeError(key, "a number", v);
    }

    public float getFloat(String key, float fallback) { return has(key) ? (float) getDouble(key) : fallback; }

    public boolean getBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        Object v = metadata.get(key);
        if (v instanceof Boolean b) return b;
        throw typeError(key, "a bool", v);
    }

    public String[] getStringArray(String key) {
        Object v = require(key);
        if (v instanceof String[] s) return s;
        throw typeError(key, "an array of strings", v);
    }

    public long[] getLongArray(String key) {
        Object v = require(key);
        if (v instanceof long[] a) return a;
        throw typeError(key, "an array of integers", v);
    }

    public int[] getIntArray(String key) {
        long[] a = getLongArray(key);
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            if (a[i] < Integer.MIN_VALUE || a[i] > Integer.MAX_VALUE) {
                throw new GgufException(path + ": metadata '" + key + "'[" + i + "] = " + a[i] + " is out of int range");
            }
            out[i] = (int) a[i];
        }
        return out;
    }

    public float[] getFloatArray(String key) {
        Object v = require(key);
        if (v instanceof double[] d) {
            float[] out = new float[d.length];
            for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
            return out;
        }
        throw typeError(key, "an array of floats", v);
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new GgufException(path + ": missing metadata key '" + key + "'");
        return v;
    }

    private GgufException typeError(String key, String want, Object got) {
        return new GgufException(path + ": metadata '" + key + "' should be " + want + ", found " + describe(got));
    }

    static String describe(Object v) {
        if (v == null) return "nothing";
        if (v.getClass().isArray()) return v.getClass().getComponentType().getSimpleName() + " array";
        return v.getClass().getSimpleName() + " " + v;
    }

    static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private void fail(String problem) {
        throw new GgufException(path + ": " + problem);
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Sequential reader over the mapped header with bounds checks. */
    private final class Reader {
        long pos;

        private void need(long n, String what) {
            if (n < 0 || pos + n > file.byteSize() || pos + n < 0) {
                fail("truncated while reading " + what + " at offset " + pos + " (file is " + file.byteSize() + " bytes)");
            }
        }

        int i32() {
            need(4, "a 32-bit value");
            int v = file.get(INT, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = file.get(LONG, pos);
            pos += 8;
            if (v < 0) fail(what + " is absurd: " + Long.toUnsignedString(v));
            return v;
        }

        String string(String what) {
            long len = u64("length of " + what);
            if (len > MAX_STRING) fail("absurd string length " + len + " for " + what + "; the file is corrupt");
            need(len, what);
            if (len == 0) return "";
            byte[] bytes = new byte[(int) len];   // (asSlice(..).toArray costs more than the copy)
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, bytes, 0, (int) len);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /**
         * Element {@code i} of the string array {@code key}: {@link #string} without building its
         * message up front, which for a vocabulary of 150,000 strings cost more than the reading.
         */
        String element(String key, int i) {
            long len = pos + 8 <= file.byteSize() ? file.get(LONG, pos) : -1;
            if (len < 0 || len > MAX_STRING || pos + 8 + len > file.byteSize()) return string("element " + i + " of '" + key + "'");
            pos += 8;
            if (len == 0) return "";
            byte[] bytes = new byte[(int) len];   // (asSlice(..).toArray costs more than the copy)
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, bytes, 0, (int) len);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        Object value(GgufValueType type, String key, int depth) {
            return switch (type) {
                case UINT8 -> { need(1, key); long v = file.get(ValueLayout.JAVA_BYTE, pos) & 0xFFL; pos += 1; yield v; }
                case INT8 -> { need(1, key); long v = file.get(ValueLayout.JAVA_BYTE, pos); pos += 1; yield v; }
                case UINT16 -> { need(2, key); long v = file.get(SHORT, pos) & 0xFFFFL; pos += 2; yield v; }
                case INT16 -> { need(2, key); long v = file.get(SHORT, pos); pos += 2; yield v; }
                case UINT32 -> { need(4, key); long v = file.get(INT, pos) & 0xFFFFFFFFL; pos += 4; yield v; }
                case INT32 -> { need(4, key); long v = file.get(INT, pos); pos += 4; yield v; }
                case UINT64, INT64 -> { need(8, key); long v = file.get(LONG, pos); pos += 8; yield v; }
                case FLOAT32 -> { need(4, key); double v = file.get(FLOAT, pos); pos += 4; yield v; }
                case FLOAT64 -> { need(8, key); double v = file.get(DOUBLE, pos); pos += 8; yield v; }
                case BOOL -> {
                    need(1, key);
                    byte b = file.get(ValueLayout.JAVA_BYTE, pos);
                    pos += 1;
                    if (b != 0 && b != 1) fail("metadata '" + key + "' has bool value " + b);
                    yield b != 0;
                }
                case STRING -> string("value of '" + key + "'");
                case ARRAY -> array(key, depth + 1);
            };
        }

        Object array(String key, int depth) {
            if (depth > MAX_ARRAY_DEPTH) fail("metadata array '" + key + "' nests arrays more than " + MAX_ARRAY_DEPTH + " deep");
            int typeId = i32();
            GgufValueType elem = GgufValueType.fromId(typeId);
            if (elem == null) fail("metadata array '" + key + "' has unknown element type " + Integer.toUnsignedString(typeId));
            long count = u64("length of array '" + key + "'");
            // Strings need at least their 8-byte length, arrays a 4-byte type and an 8-byte length.
            long minBytes = elem.size > 0 ? elem.size : elem == GgufValueType.ARRAY ? 12 : 8;
            if (count > (file.byteSize() - pos) / minBytes) {
                fail("metadata array '" + key + "' claims " + count + " elements, more than the remaining "
                        + (file.byteSize() - pos) + " bytes could hold; the file is truncated or corrupt");
            }
            if (count > MAX_ARRAY) fail("metadata array '" + key + "' claims an absurd " + count + " elements; the file is corrupt");
            int n = (int) count;
            switch (elem) {
                case STRING -> {
                    String[] out = new String[n];
                    for (int i = 0; i < n; i++) out[i] = element(key, i);
                    return out;
                }
                case FLOAT32, FLOAT64 -> {
                    double[] out = new double[n];
                    for (int i = 0; i < n; i++) out[i] = (Double) value(elem, key, depth);
                    return out;
                }
                case BOOL -> {
                    boolean[] out = new boolean[n];
                    for (int i = 0; i < n; i++) out[i] = (Boolean) value(elem, key, depth);
                    return out;
                }
                case ARRAY -> {
                    Object[] out = new Object[n];
                    for (int i = 0; i < n; i++) out[i] = array(key, depth + 1);
                    return out;
                }
                default -> {
                    long[] out = new long[n];
                    for (int i = 0; i < n; i++) out[i] = (Long) value(elem, key, depth);
                    return out;
                }
            }
        }
    }
}
