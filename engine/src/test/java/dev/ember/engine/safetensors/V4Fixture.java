package dev.ember.engine.safetensors;

import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufTensorInfo;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DeepSeek-V4 fixture made by tools/fixtures/make_v4_fixtures.py: the transformers checkpoint
 * ({@code model/}), the reference GGUF written with llama.cpp's names and keys, and transformers'
 * logits of every position of each sequence.
 */
record V4Fixture(String name, Path dir) {
    record Sequence(int[] tokens, float[] logits) {}

    static V4Fixture load(String name) {
        URL url = V4Fixture.class.getResource("/fixtures/deepseek_v4/" + name + "/golden.json");
        if (url == null) throw new IllegalStateException("no DeepSeek-V4 fixture " + name + "; run tools/fixtures/make_v4_fixtures.py");
        try {
            return new V4Fixture(name, Path.of(url.toURI()).getParent());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    Path model() { return dir.resolve("model"); }

    Path gguf() { return dir.resolve("model.gguf"); }

    @SuppressWarnings("unchecked")
    List<Sequence> sequences() {
        try {
            Map<String, Object> g = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("golden.json")));
            return ((List<Map<String, Object>>) g.get("sequences")).stream().map(s -> {
                int[] tokens = ((List<?>) s.get("tokens")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
                try {
                    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve((String) s.get("logits")))).order(ByteOrder.LITTLE_ENDIAN);
                    float[] f = new float[b.remaining() / 4];
                    b.asFloatBuffer().get(f);
                    return new Sequence(tokens, f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sequence of {@code length} tokens. */
    Sequence sequence(int length) {
        return sequences().stream().filter(s -> s.tokens().length == length).findFirst().orElseThrow();
    }

    /** config.json of the transformers checkpoint, as a mutable map. */
    @SuppressWarnings("unchecked")
    Map<String, Object> config() {
        try {
            return new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(model().resolve("config.json"))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, SafetensorsWriter.T> tensors() { return SafetensorsWriter.read(model().resolve("model.safetensors")); }

    /** Writes a checkpoint directory. */
    static Path write(Path dir, Map<String, Object> config, Map<String, SafetensorsWriter.T> tensors) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), Json.write(config));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
        return dir;
    }

    /** Worst |logit − transformers| over every position of {@code seqs}, for the model at {@code model}. */
    double worstLogitError(Path model, List<Sequence> seqs) {
        double worst = 0;
        try (LoadedModel lm = LoadedModel.open(model, 2)) {
            for (Sequence s : seqs) {
                float[][] got = LogitsAccess.allLogits(lm.model(), s.tokens());
                int vocab = got[0].length;
                for (int p = 0; p < got.length; p++) {
                    for (int v = 0; v < vocab; v++) {
                        double d = Math.abs(got[p][v] - s.logits()[p * vocab + v]);
                        worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
                    }
                }
            }
        }
        return worst;
    }

    /**
     * The directory translates to exactly the reference GGUF: every deepseek4.* key with the same
     * value, the same tensor names, types and shapes, and the same bytes.
     */
    void assertSameAsReferenceGguf(Path checkpointDir) {
        try (HfCheckpoint c = HfCheckpoint.open(checkpointDir); GgufFile g = GgufFile.open(gguf())) {
            for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
                if (!e.getKey().startsWith("deepseek4.")) continue;
                Object got = c.metadata().get(e.getKey());
                assertNotNull(got, name + ": missing key " + e.getKey());
                switch (e.getValue()) {
                    case long[] l -> assertArrayEquals(l, (long[]) got, e.getKey());
                    case double[] d -> assertArrayEquals(d, (double[]) got, e.getKey());
                    default -> assertEquals(e.getValue(), got, e.getKey());
                }
            }
            assertEquals(new TreeSet<>(g.tensorInfos().keySet()), new TreeSet<>(c.plans().keySet()), name + ": tensor names");
            for (GgufTensorInfo t : g.tensorInfos().values()) {
                var mine = c.tensor(t.name());
                assertEquals(t.type(), mine.type(), t.name());
                assertArrayEquals(t.shape(), mine.shape(), t.name() + " " + Arrays.toString(mine.shape()));
                assertTrue(g.tensor(t.name()).data().mismatch(mine.data()) == -1, t.name() + ": bytes differ");
            }
        }
    }
}
