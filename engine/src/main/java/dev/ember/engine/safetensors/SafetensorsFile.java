package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped through the FFM API. The format is an 8-byte
 * little-endian header length, a JSON header {@code {name: {dtype, shape, data_offsets}}} and the
 * raw tensor bytes; offsets are relative to the end of the header. Tensors are views of the
 * mapping: nothing is copied.
 *
 * <p>Every offset is checked against the file size when the file is opened, so a truncated or
 * corrupt shard fails at load with its path, never later inside a kernel.
 */
final class SafetensorsFile {
    /** Real headers are at most a few MiB (tens of thousands of tensor names); more is corruption. */
    private static final long MAX_HEADER = 1L << 28;

    /**
     * One tensor of the file, as stored: {@code dtype} is the safetensors name (F32, BF16, …) and
     * {@code shape} is in PyTorch order (outermost dimension first).
     */
    record Entry(String name, String dtype, long[] shape, MemorySegment data, Path file) {
        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private final Path path;
    private final Map<String, Entry> entries;
    private final Map<String, Object> metadata;

    private SafetensorsFile(Path path, Map<String, Entry> entries, Map<String, Object> metadata) {
        this.path = path;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps {@code path} into {@code arena}; the views live as long as the arena. */
    static SafetensorsFile open(Path path, Arena arena) {
        if (!Files.isRegularFile(path)) throw new ModelLoadException(path + ": no such file");
        MemorySegment file;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new ModelLoadException(path + ": cannot read: " + e.getMessage(), e);
        }
        if (file.byteSize() < 8) throw fail(path, "file is " + file.byteSize() + " bytes, too short for a safetensors header; the download is truncated");
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > file.byteSize() - 8) {
            throw fail(path, "header length " + headerLen + " does not fit the file (" + file.byteSize()
                    + " bytes); the file is truncated or not a safetensors file");
        }
        String json = new String(file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = Json.parse(json.strip());
        } catch (IllegalArgumentException e) {
            throw fail(path, "header is not valid JSON (" + e.getMessage() + "); the file is corrupt");
        }
        if (!(parsed instanceof Map<?, ?> header)) throw fail(path, "header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataSize = file.byteSize() - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, Object> metadata = Map.of();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) {
                    @SuppressWarnings("unchecked") Map<String, Object> mm = (Map<String, Object>) m;
                    metadata = Collections.unmodifiableMap(mm);
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) throw fail(path, "tensor '" + name + "' has no description object");
            if (!(info.get("dtype") instanceof String dtype)) throw fail(path, "tensor '" + name + "' has no dtype");
            long[] shape = longs(path, name, "shape", info.get("shape"));
            long[] offsets = longs(path, name, "data_offsets", info.get("data_offsets"));
            if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataSize) {
                throw fail(path, "tensor '" + name + "' has data_offsets " + java.util.Arrays.toString(offsets)
                        + " outside the " + dataSize + " data bytes; the file is truncated or corrupt (re-download it)");
            }
            long elements = 1;
            for (long d : shape) {
                if (d < 0) throw fail(path, "tensor '" + name + "' has a negative dimension");
                if (Math.multiplyHigh(elements, d) != 0 || elements * d < 0) {
                    throw fail(path, "tensor '" + name + "' has absurd shape " + java.util.Arrays.toString(shape) + "; the file is corrupt");
                }
                elements *= d;
            }
            int width = Dtypes.byteWidth(dtype);
            if (width > 0 && (elements > Long.MAX_VALUE / width || elements * width != offsets[1] - offsets[0])) {
                throw fail(path, "tensor '" + name + "' (" + dtype + " " + java.util.Arrays.toString(shape) + ") should take "
                        + elements * width + " bytes, its data_offsets give " + (offsets[1] - offsets[0]));
            }
            entries.put(name, new Entry(name, dtype, shape, file.asSlice(dataStart + offsets[0], offsets[1] - offsets[0]), path));
        }
        return new SafetensorsFile(path, Collections.unmodifiableMap(entries), metadata);
    }

    private static long[] longs(Path path, String tensor, String key, Object v) {
        if (!(v instanceof List<?> list)) throw fail(path, "tensor '" + tensor + "' has no " + key + " array");
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l)) throw fail(path, "tensor '" + tensor + "': " + key + " must hold integers");
            out[i] = l;
        }
        return out;
    }

    private static ModelLoadException fail(Path path, String problem) {
        return new ModelLoadException(path + ": " + problem);
    }

    Path path() { return path; }
    Map<String, Entry> entries() { return entries; }
    Map<String, Object> metadata() { return metadata; }
}
