package dev.ember.engine.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.family.ModelFamilies;
import dev.ember.engine.testing.Fuzz;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes a Hugging Face model directory: {@code config.json} and the {@code model.safetensors}
 * header, through the architecture table's config mapping, the tensor planner (every tensor is
 * built) and the model family's loader. The input is {@code config.json NUL header-json [NUL data]};
 * without a data part the file gets zero bytes up to the largest {@code data_offsets} end (at most
 * 1 MiB), so that a valid header reaches the later stages. Bad input must fail with a
 * ModelLoadException naming the problem (see {@link Fuzz}).
 */
class CheckpointFuzzTest {
    private static final Path DIR = Fuzz.scratch("checkpoint");
    private static final long MAX_DATA = 1 << 20;
    private static final Compute COMPUTE = new Compute(Kernels.get(), new WorkerPool(1));

    @FuzzTest(maxDuration = "20s")
    void open(byte[] data) throws IOException {
        List<byte[]> parts = Fuzz.split(data, 3);
        // both files are rewritten per input (nothing else is ever written here), so the directory
        // is not cleared: listing and walking it cost more syscalls than the writes
        Files.write(DIR.resolve("config.json"), parts.get(0));
        byte[] header = parts.size() > 1 ? parts.get(1) : new byte[0];
        byte[] body = parts.size() > 2 ? parts.get(2) : new byte[(int) Math.min(MAX_DATA, dataEnd(header))];
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + body.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header).put(body);
        Files.write(DIR.resolve(HfCheckpoint.SINGLE), file.array());
        try (HfCheckpoint ckpt = HfCheckpoint.open(DIR)) {
            for (String name : ckpt.plans().keySet()) {
                var t = ckpt.tensor(name);
                if (t.data().byteSize() > 0) t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
            }
            ModelFamilies.load(ckpt, COMPUTE);
        } catch (ModelLoadException e) {
            Fuzz.expectUserError(e, ModelLoadException.class);
        }
    }

    /** The largest data_offsets end in a header, or 0 when it is not a JSON object of tensors. */
    static long dataEnd(byte[] header) {
        long end = 0;
        try {
            if (Json.parse(new String(header, StandardCharsets.UTF_8)) instanceof Map<?, ?> m) {
                for (Object v : m.values()) {
                    if (v instanceof Map<?, ?> info && info.get("data_offsets") instanceof List<?> o && o.size() == 2
                            && o.get(1) instanceof Long e && e > end) {
                        end = e;
                    }
                }
            }
        } catch (IllegalArgumentException notJson) {
            // the reader reports it
        }
        return end;
    }
}
