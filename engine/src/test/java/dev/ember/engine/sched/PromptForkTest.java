package dev.ember.engine.sched;

import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.model.Model;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Sequences queued together that share a prompt prefix longer than the prefix cache's whole
 * blocks fork from the first one at the end of what they share (its prefill stops there for a
 * step): the shared part is computed once, and every sequence's prompt log-probs, logits and
 * greedy tokens are bit for bit those of running it alone with prefix sharing off. Real models:
 * DeepSeek-V4 (state beside the blocks: window ring, compressor windows left open mid-window,
 * compressed entries; 128-token blocks) and paged families (a partial block copied).
 */
class PromptForkTest {
    @TempDir
    static Path dir;

    static Path deepseekV4() {
        return Path.of(System.getProperty("ember.repo.dir", "..")).resolve("engine/src/test/resources/fixtures/deepseek_v4/tiny-real-ratios/model.gguf");
    }

    /** Everything a sequence's output is made of: prompt log-probs, each generated step's logits row, the greedy tokens. */
    static final class Recorder implements SequenceSink {
        final int max;
        final int rowLength;
        final List<Double> promptLogProbs = new ArrayList<>();
        final List<float[]> logits = new ArrayList<>();
        final List<Integer> tokens = new ArrayList<>();
        String error;
        int cached = -1, forked = -1;

        Recorder(int max, int rowLength) {
            this.max = max;
            this.rowLength = rowLength;
        }

        @Override
        public void onPromptLogProb(Sequence seq, int position, double logProb) {
            promptLogProbs.add(logProb);
        }

        @Override
        public int onLogits(Sequence seq, float[] l, int offset) {
            float[] row = Arrays.copyOfRange(l, offset, offset + rowLength);
            logits.add(row);
            int best = 0;
            for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
            tokens.add(best);
            return tokens.size() >= max ? -1 : best;
        }

        @Override public void onFailure(Sequence seq, String e) { error = e; }
        @Override public void onFinished(Sequence seq) {
            cached = seq.cachedPromptTokens();
            forked = seq.forkedPromptTokens();
        }
    }

    /** Runs the prompts (all queued before the first step, or one at a time) and returns their recorders. */
    static List<Recorder> run(LoadedModel loaded, List<int[]> prompts, int logitsFrom, boolean sharing, boolean together) {
        Model m = loaded.model();
        List<Recorder> out = new ArrayList<>();
        try (CacheManager cache = CacheManager.create(m.cacheSpecs(), KvCacheType.F32, m.cacheBlockSize(), 32L << 20, 16L << 20)) {
            cache.setPrefixSharing(sharing);
            Scheduler s = new Scheduler(m, cache, 512, 8, 1024);
            for (int[] p : prompts) {
                Recorder r = new Recorder(6, m.config().vocabSize());
                out.add(r);
                s.add(p, r, logitsFrom);
                if (!together) SchedulerTest.drain(s);
            }
            SchedulerTest.drain(s);
        }
        return out;
    }

    static List<int[]> promptsSharing(int shared, int count, int vocab, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] prefix = rnd.ints(shared, 3, vocab).toArray();
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = Arrays.copyOf(prefix, shared + 2 + i);
            for (int j = shared; j < p.length; j++) p[j] = rnd.nextInt(3, vocab);
            prompts.add(p);
        }
        return prompts;
    }

    static void assertForkedAndExact(Path model, int shared, int logitsFrom) {
        try (LoadedModel loaded = LoadedModel.open(model, 2)) {
            List<int[]> prompts = promptsSharing(shared, 3, Math.min(loaded.model().config().vocabSize(), 128), shared);
            List<Recorder> alone = run(loaded, prompts, logitsFrom, false, false);
            List<Recorder> forked = run(loaded, prompts, logitsFrom, true, true);
            // The first sequence computes the shared prompt; the others fork from it there: its whole blocks
            // (published to the prefix cache by then) count as cached, the rest as forked.
            assertEquals(0, forked.getFirst().cached + forked.getFirst().forked, "the cache starts empty");
            int at = Math.min(shared, logitsFrom), bs = loaded.model().cacheBlockSize();
            for (int i = 1; i < prompts.size(); i++) {
                assertEquals(at / bs * bs, forked.get(i).cached, "sequence " + i + ": whole blocks");
                assertEquals(at % bs, forked.get(i).forked, "sequence " + i + ": the partial block forked");
            }
            for (int i = 0; i < prompts.size(); i++) {
                Recorder a = alone.get(i), f = forked.get(i);
                assertNull(f.error);
                assertEquals(0, a.cached);
                assertEquals(a.promptLogProbs, f.promptLogProbs, "prompt log-probs of sequence " + i);
                assertEquals(a.tokens, f.tokens, "greedy tokens of sequence " + i);
                for (int t = 0; t < a.logits.size(); t++) assertArrayEquals(a.logits.get(t), f.logits.get(t), "logits of step " + t + ", sequence " + i);
            }
        }
    }

    @ParameterizedTest(name = "shared {0}")
    @CsvSource({"37", "150"}) // mid-block and mid-compressor-window (ratio 4); past one 128-token block
    void deepseekV4ForksCopyTheStateBesideTheBlocks(int shared) {
        assertForkedAndExact(deepseekV4(), shared, 1024);
    }

    @Test
    void deepseekV4ScoringForksStopBeforeTheScoredPositions() {
        // As classify's choices: only the continuation is scored, so the fork is at the last unscored position.
        assertForkedAndExact(deepseekV4(), 37, 30);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama-tiny", "gemma2-tiny"}) // paged rows; gemma2's 16-token sliding window
    void pagedFamiliesForkWithAPartialBlockCopy(String preset) throws Exception {
        Path file = dir.resolve(preset + ".gguf");
        SyntheticModel.write(preset, TensorType.F32, file, 5);
        assertForkedAndExact(file, 37, 1024); // two whole 16-token blocks shared, five rows copied
    }
}
