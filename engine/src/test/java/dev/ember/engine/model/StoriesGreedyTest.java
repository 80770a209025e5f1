package dev.ember.engine.model;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.testing.SharedFiles;
import dev.ember.engine.util.Json;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The forward pass alone (no tokenizer, no sampler) reproduces llama2.c/llama.cpp greedy tokens. */
class StoriesGreedyTest {

    @Test
    @SuppressWarnings("unchecked")
    void greedyTokensMatchReferenceForEveryCase() throws Exception {
        Map<String, Object> ref = (Map<String, Object>) Json.parse(Files.readString(SharedFiles.model("stories260K.greedy.json")));
        List<Map<String, Object>> cases = (List<Map<String, Object>>) ref.get("cases");
        try (LoadedModel lm = LoadedModel.open(SharedFiles.model("stories260K.gguf"), 2)) {
            Model m = lm.model();
            for (Map<String, Object> c : cases) {
                int[] prompt = ints((List<Object>) c.get("prompt_token_ids"));
                int[] expected = ints((List<Object>) c.get("generated_token_ids"));
                assertArrayEquals(expected, greedy(m, prompt, expected.length), "case " + c.get("prompt"));
            }
        }
    }

    static int[] greedy(Model m, int[] prompt, int n) {
        int vocab = m.config().vocabSize();
        KvBlockPool pool = KvBlockPool.forLayers(16, 64, m.cacheSpecs(), dev.ember.engine.api.KvCacheType.F32, java.lang.foreign.Arena.ofAuto());
        BlockTable table = new BlockTable(pool);
        float[] logits = new float[vocab];
        table.ensureCapacity(prompt.length);
        m.forward(ForwardBatch.ofSequence(prompt, 0, prompt.length, 0, table, new int[]{prompt.length - 1}), logits);
        table.setLength(prompt.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int next = argmax(logits);
            out[i] = next;
            int pos = prompt.length + i;
            table.ensureCapacity(pos + 1);
            m.forward(ForwardBatch.ofSequence(new int[]{next}, 0, 1, pos, table, new int[]{0}), logits);
            table.setLength(pos + 1);
        }
        table.release();
        return out;
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    static int[] ints(List<Object> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) l.get(i)).intValue();
        return a;
    }
}
