package dev.ember.engine.safetensors;

import dev.ember.engine.util.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One golden fixture made by tools/fixtures/make_hf_fixtures.py: the HF model directory and what
 * transformers computed on it (logits of chosen positions, greedy continuations, tokenizations).
 */
record HfFixture(String arch, Path dir, Map<String, Object> golden) {
    record Sequence(String name, int[] tokens, int[] positions, float[][] logits) {}

    record Greedy(String prompt, int[] tokens, double[] margins) {}

    record TokenCase(String text, int[] ids, int[] idsWithSpecial) {}

    static HfFixture load(String arch) {
        URL url = HfFixture.class.getResource("/fixtures/" + arch + "/golden.json");
        if (url == null) throw new IllegalStateException("no fixture for " + arch + "; run tools/fixtures/make_hf_fixtures.py");
        try {
            Path golden = Path.of(url.toURI());
            @SuppressWarnings("unchecked") Map<String, Object> g = (Map<String, Object>) Json.parse(Files.readString(golden));
            return new HfFixture(arch, golden.getParent(), g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    Path model() { return dir.resolve("model"); }

    int vocab() { return Math.toIntExact((Long) golden.get("vocab")); }

    @SuppressWarnings("unchecked")
    List<Sequence> sequences() {
        return ((List<Map<String, Object>>) golden.get("sequences")).stream().map(s -> {
            int[] positions = ints(s.get("positions"));
            float[][] logits = new float[positions.length][vocab()];
            try {
                ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve((String) s.get("logits")))).order(ByteOrder.LITTLE_ENDIAN);
                for (int p = 0; p < positions.length; p++) {
                    for (int v = 0; v < vocab(); v++) logits[p][v] = b.getFloat((p * vocab() + v) * 4);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Sequence((String) s.get("name"), ints(s.get("tokens")), positions, logits);
        }).toList();
    }

    Sequence sequence(String name) {
        return sequences().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    List<Greedy> greedy() {
        return ((List<Map<String, Object>>) golden.get("greedy")).stream()
                .map(g -> new Greedy((String) g.get("prompt"), ints(g.get("tokens")),
                        ((List<Object>) g.get("top2_margins")).stream().mapToDouble(o -> ((Number) o).doubleValue()).toArray()))
                .toList();
    }

    @SuppressWarnings("unchecked")
    List<TokenCase> tokenizerCases() {
        Map<String, Object> t = (Map<String, Object>) golden.get("tokenizer");
        if (t == null) return List.of();
        return ((List<Map<String, Object>>) t.get("cases")).stream()
                .map(c -> new TokenCase((String) c.get("text"), ints(c.get("ids")), ints(c.get("ids_with_special")))).toList();
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> Math.toIntExact((Long) o)).toArray();
    }
}
