package dev.ember.engine.cli;

import dev.ember.engine.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `ember embed` against the sentence-transformers fixture's expected vectors (see EmbeddingParityTest). */
class EmbedCommandTest {
    @SuppressWarnings("unchecked")
    private static Map<String, Object> golden() throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(fixture().resolve("golden.json")));
    }

    private static Path fixture() throws Exception {
        return Path.of(EmbedCommandTest.class.getResource("/fixtures/embed/bert-mean-norm/golden.json").toURI()).getParent();
    }

    private static String run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    @SuppressWarnings("unchecked")
    void textJsonLastLineIsTheEmbedding() throws Exception {
        Map<String, Object> g = golden();
        String text = ((List<String>) g.get("texts")).get(2);
        List<Number> want = ((List<List<Number>>) g.get("embeddings")).get(2);
        String[] lines = run("embed", "--model", fixture().resolve("model").toString(), "--text", text, "--json", "--threads", "1").strip().split("\n");
        Map<String, Object> o = (Map<String, Object>) Json.parse(lines[lines.length - 1]);
        assertEquals(((List<?>) ((List<?>) g.get("tokens")).get(2)).size(), ((Number) o.get("tokens")).intValue());
        List<Number> got = (List<Number>) o.get("embedding");
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i).doubleValue(), got.get(i).doubleValue(), 1e-5, "element " + i);
    }

    @Test
    @SuppressWarnings("unchecked")
    void fileWritesLittleEndianRowsInLineOrder(@TempDir Path tmp) throws Exception {
        Map<String, Object> g = golden();
        List<String> texts = (List<String>) g.get("texts");
        List<List<Number>> want = (List<List<Number>>) g.get("embeddings");
        StringBuilder jsonl = new StringBuilder();
        for (String t : texts) jsonl.append(Json.write(Map.of("text", t))).append('\n');
        Path in = tmp.resolve("in.jsonl"), out = tmp.resolve("out.f32");
        Files.writeString(in, jsonl);
        run("embed", "--model", fixture().resolve("model").toString(), "--file", in.toString(), "--out", out.toString(), "--threads", "1");
        int dim = want.getFirst().size();
        byte[] bytes = Files.readAllBytes(out);
        assertEquals(texts.size() * dim * 4, bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (List<Number> row : want) for (Number x : row) assertEquals(x.doubleValue(), b.getFloat(), 1e-5);
        assertTrue(!b.hasRemaining());
    }
}
