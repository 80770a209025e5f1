package dev.ember.engine.safetensors;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Accuracy of each KV cache type against F32, on every architecture fixture in the repo: the
 * largest |Δ logit| over every position of the fixture sequences (the same chunked forward pass,
 * only the cache type differs), and how many of the greedy 24-token continuations (through the
 * engine) agree token for token with F32's. The default type must agree on every fixture; the
 * table is printed and written to {@code target/kv-cache-accuracy.md}. DeepSeek-V4 (and the
 * shipped ember-v4-story) keep all their state beside the blocks, in float, so the cache type
 * does not apply to them.
 */
class KvCacheAccuracyTest {
    static final List<String> ARCHS = List.of("llama", "qwen2", "qwen3", "qwen3_moe", "mixtral", "deepseek_v2", "deepseek_v3");
    static final List<KvCacheType> TYPES = List.of(KvCacheType.F16, KvCacheType.BF16, KvCacheType.Q8_0);

    record Row(String arch, KvCacheType type, double maxLogitDiff, int greedyAgree, int greedyCases, int firstDivergence) {}

    @Test
    void defaultCacheTypeKeepsGreedyOutputOnEveryFixture() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String arch : ARCHS) {
            HfFixture f = HfFixture.load(arch);
            List<int[]> sequences = f.sequences().stream().map(HfFixture.Sequence::tokens).toList();
            List<int[]> prompts = f.greedy().stream().map(g -> f.sequence(g.prompt()).tokens()).toList();
            rows.addAll(measure(arch, f.model(), sequences, prompts, 24));
        }
        Path stories = SharedFiles.model("stories260K.gguf");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> cases = (List<Map<String, Object>>) ((Map<String, Object>) dev.ember.engine.util.Json.parse(
                Files.readString(SharedFiles.model("stories260K.greedy.json")))).get("cases");
        List<int[]> storyPrompts = cases.stream().map(c -> ((List<?>) c.get("prompt_token_ids")).stream()
                .mapToInt(o -> ((Number) o).intValue()).toArray()).toList();
        rows.addAll(measure("stories260K (llama GGUF)", stories, storyPrompts, storyPrompts, 24));
        StringBuilder table = new StringBuilder("| fixture | cache type | max abs logit diff vs F32 | greedy 24 tokens = F32 | first divergence |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            table.append(String.format("| %s | %s | %.3g | %d/%d | %s |%n", r.arch(), r.type(), r.maxLogitDiff(), r.greedyAgree(), r.greedyCases(),
                    r.firstDivergence() < 0 ? "-" : "token " + r.firstDivergence()));
        }
        System.out.println(table);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/kv-cache-accuracy.md"), table);
        for (Row r : rows) {
            if (r.type() == KvCacheType.DEFAULT) {
                assertEquals(r.greedyCases(), r.greedyAgree(), r.arch() + ": greedy output with the default cache type " + r.type() + " differs from F32");
            }
            // Every type is a lossy copy of F32, never a broken one: no NaN or infinity reaches the logits.
            assertTrue(Double.isFinite(r.maxLogitDiff()), r.arch() + " " + r.type() + ": max |logit diff| " + r.maxLogitDiff());
        }
    }

    static List<Row> measure(String arch, Path model, List<int[]> sequences, List<int[]> prompts, int n) {
        List<Row> rows = new ArrayList<>();
        Map<KvCacheType, List<int[]>> greedy = new LinkedHashMap<>();
        for (KvCacheType t : List.of(KvCacheType.F32, KvCacheType.F16, KvCacheType.BF16, KvCacheType.Q8_0)) {
            try (Engine e = Engine.open(model, EngineOptions.defaults().withThreads(2).withMaxSequences(4).withKvCacheType(t))) {
                List<Request> reqs = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) {
                    reqs.add(Request.ofTokens("g" + i, prompts.get(i), SamplingParams.builder().maxTokens(n).ignoreEos(true).build()));
                }
                greedy.put(t, e.generate(reqs).stream().map(Result::tokenIds).toList());
            }
        }
        try (LoadedModel lm = LoadedModel.open(model, 2)) {
            List<float[][]> reference = sequences.stream().map(s -> LogitsAccess.allLogits(lm.model(), s, 64, KvCacheType.F32)).toList();
            for (KvCacheType t : TYPES) {
                double worst = 0;
                for (int s = 0; s < sequences.size(); s++) {
                    float[][] got = LogitsAccess.allLogits(lm.model(), sequences.get(s), 64, t);
                    for (int p = 0; p < got.length; p++) {
                        for (int v = 0; v < got[p].length; v++) {
                            double d = Math.abs(got[p][v] - reference.get(s)[p][v]);
                            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
                        }
                    }
                }
                int agree = 0, first = -1;
                for (int i = 0; i < prompts.size(); i++) {
                    int[] a = greedy.get(KvCacheType.F32).get(i), b = greedy.get(t).get(i);
                    assertEquals(n, a.length);
                    if (java.util.Arrays.equals(a, b)) {
                        agree++;
                    } else {
                        int j = java.util.Arrays.mismatch(a, b);
                        first = first < 0 ? j : Math.min(first, j);
                    }
                }
                rows.add(new Row(arch, t, worst, agree, prompts.size(), first));
            }
        }
        return rows;
    }

    @Test
    void f32CacheIsTheHeapCacheBitForBit() {
        // The F32 cache stores floats unchanged: the fixtures' reference logits path is unaffected.
        HfFixture f = HfFixture.load("qwen3");
        try (LoadedModel lm = LoadedModel.open(f.model(), 2)) {
            int[] tokens = f.sequences().getFirst().tokens();
            float[][] a = LogitsAccess.allLogits(lm.model(), tokens);
            float[][] b = LogitsAccess.allLogits(lm.model(), tokens, 64, KvCacheType.F32);
            for (int p = 0; p < a.length; p++) assertArrayEquals(a[p], b[p]);
        }
    }
}
