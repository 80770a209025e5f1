package dev.ember.engine.safetensors;

import dev.ember.engine.util.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A minimal safetensors writer for tests that build checkpoints (renamed, re-typed or quantized fixtures). */
final class SafetensorsWriter {
    /** One tensor: safetensors dtype name, PyTorch-order shape, raw little-endian bytes. */
    record T(String dtype, long[] shape, byte[] data) {
        static T f32(long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) b.putFloat(v);
            return new T("F32", shape, b.array());
        }

        static T of(SafetensorsFile.Entry e) {
            return new T(e.dtype(), e.shape().clone(), e.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }

        float[] floats() {
            if (!dtype.equals("F32")) throw new IllegalStateException(dtype);
            float[] f = new float[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        }
    }

    private SafetensorsWriter() {}

    static void write(Path file, Map<String, T> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Map.Entry<String, T> e : tensors.entrySet()) {
            List<Object> shape = new ArrayList<>();
            for (long d : e.getValue().shape()) shape.add(d);
            long end = offset + e.getValue().data().length;
            header.put(e.getKey(), Map.of("dtype", e.getValue().dtype(), "shape", shape, "data_offsets", List.of(offset, end)));
            offset = end;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            for (T t : tensors.values()) out.write(t.data());
        }
    }

    /** Every tensor of a safetensors file, copied to the heap (for rewriting). */
    static Map<String, T> read(Path file) {
        Map<String, T> out = new LinkedHashMap<>();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            SafetensorsFile.open(file, arena).entries().forEach((k, e) -> out.put(k, T.of(e)));
        }
        return out;
    }
}
