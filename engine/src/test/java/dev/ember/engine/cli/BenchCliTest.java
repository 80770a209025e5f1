package dev.ember.engine.cli;

import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `ember bench --json` keeps the keys scripts read (#10's contract): {@code pp<N>_tok_s} and
 * {@code tg<N>_tok_s}, and {@code aggregate_tok_s} per batch size for decode-batch. Rates are
 * only checked to be positive numbers: timing belongs in benchmarks, not tests.
 */
class BenchCliTest {

    @Test
    void prefillAndDecodeKeys() throws Exception {
        Map<String, Object> o = GenerateCliTest.runJson("bench", "--model", SharedFiles.model("stories260K.gguf").toString(),
                "-p", "8", "-n", "4", "--threads", "2", "--reps", "1", "--json");
        assertPositive(o.get("pp8_tok_s"), "pp8_tok_s");
        assertPositive(o.get("tg4_tok_s"), "tg4_tok_s");
    }

    @Test
    @SuppressWarnings("unchecked")
    void decodeBatchKeys() throws Exception {
        Map<String, Object> o = GenerateCliTest.runJson("bench", "--model", SharedFiles.model("stories260K.gguf").toString(),
                "--scenario", "decode-batch", "--threads", "2", "--json");
        Map<String, Object> rates = (Map<String, Object>) o.get("aggregate_tok_s");
        assertNotNull(rates, "aggregate_tok_s in " + o);
        for (String b : new String[] {"1", "8", "32"}) assertPositive(rates.get(b), "aggregate_tok_s." + b);
        assertPositive(o.get("speedup_32_vs_1"), "speedup_32_vs_1");
    }

    private static void assertPositive(Object v, String key) {
        assertInstanceOf(Number.class, v, key);
        double d = ((Number) v).doubleValue();
        assertTrue(d > 0 && Double.isFinite(d), key + " = " + d);
    }
}
