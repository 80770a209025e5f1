package dev.ember.engine.cli;

import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.sched.Scheduler;
import dev.ember.engine.sched.Sequence;
import dev.ember.engine.sched.SequenceSink;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * `ember bench --scenario capacity`: how many sequences of a P-token prompt the engine runs at
 * once within a KV byte budget, per cache type, and the aggregate decode rate at that
 * concurrency. The count is what the real scheduler and cache manager do with the model's real
 * cache specs, driven through a forward pass that computes nothing (the count depends on blocks,
 * not on values), so it is exact and fast. The rate times decode steps of that many rows at
 * context P with the model (cache rows left at zero: the cost depends on their size, not their
 * values).
 */
final class CapacityBench {
    private CapacityBench() {}

    record Options(int prompt, int decode, long budget, List<KvCacheType> types, boolean countOnly) {}

    static Map<String, Object> run(Path path, int threads, Options o, PrintStream out, boolean json) {
        Map<String, Object> r = new LinkedHashMap<>();
        Map<String, Object> perType = new LinkedHashMap<>();
        r.put("prompt", o.prompt());
        r.put("kv_cache_bytes", o.budget());
        try (LoadedModel lm = LoadedModel.open(path, threads)) {
            Model m = lm.model();
            r.put("describe", m.describe());
            if (!o.countOnly()) BenchCommand.decode(m, 32); // JIT warm-up, so the first type is timed warm too
            for (KvCacheType t : o.types()) {
                Map<String, Object> row = new LinkedHashMap<>();
                int blocks = CacheManager.blocksWithin(m.cacheSpecs(), t, m.cacheBlockSize(), o.budget());
                int running = concurrentSequences(m, t, blocks, o.prompt(), o.decode());
                row.put("bytes_per_token", CacheManager.bytesPerToken(m.cacheSpecs(), t));
                row.put("blocks", blocks);
                row.put("sequences", running);
                if (!o.countOnly() && running > 0) row.put("aggregate_tok_s", BenchCommand.round(decodeRate(m, t, running, o.prompt())));
                perType.put(t.name(), row);
                if (!json) {
                    out.printf("capacity %s: %,d bytes/token, %d blocks, %d sequences of %d+%d tokens at once%s%n", t, row.get("bytes_per_token"), blocks,
                            running, o.prompt(), o.decode(), row.containsKey("aggregate_tok_s") ? String.format(", %.2f tok/s aggregate decode", row.get("aggregate_tok_s")) : "");
                }
            }
        }
        r.put("types", perType);
        Object def = perType.get(KvCacheType.DEFAULT.name());
        if (def instanceof Map<?, ?> d && d.get("aggregate_tok_s") != null) r.put("aggregate_tok_s", d.get("aggregate_tok_s"));
        return r;
    }

    /**
     * Sequences that hold {@code prompt + decode} tokens in the cache at once: many more than fit
     * are submitted to the engine's scheduler and cache manager (a pool of {@code blocks} blocks
     * without storage, a forward pass that writes nothing, a token budget that prefills every
     * admitted prompt in one step, so that all decode in lockstep). As they grow, the scheduler
     * preempts what no longer fits; the count is the decode rows of the step in which the first
     * sequences produce their last token.
     */
    static int concurrentSequences(Model m, KvCacheType type, int blocks, int prompt, int decode) {
        List<LayerCacheSpec> specs = m.cacheSpecs();
        int[] none = new int[specs.size()];
        KvBlockPool pool = new KvBlockPool(m.cacheBlockSize(), blocks, none, none, type, Arena.ofAuto());
        Model dry = new Model() {
            @Override public ModelConfig config() { return m.config(); }
            @Override public List<LayerCacheSpec> cacheSpecs() { return specs; }
            @Override public int cacheBlockSize() { return m.cacheBlockSize(); }
            @Override public void forward(ForwardBatch batch, float[] logits) {}
            @Override public String describe() { return "dry run of " + m.describe(); }
        };
        int perSequence = (prompt + decode + m.cacheBlockSize() - 1) / m.cacheBlockSize();
        int submitted = Math.min(512, blocks / perSequence + 8);
        Scheduler s = new Scheduler(dry, new CacheManager(specs, pool, EngineOptions.DEFAULT_SNAPSHOT_BYTES),
                (int) Math.min(Integer.MAX_VALUE / 2, (long) prompt * submitted), submitted, prompt + decode + 1);
        SplittableRandom rnd = new SplittableRandom(1);
        int vocab = m.config().vocabSize();
        boolean[] done = {false};
        for (int i = 0; i < submitted; i++) {
            int[] p = new int[prompt];
            for (int j = 0; j < prompt; j++) p[j] = rnd.nextInt(vocab);
            s.add(p, new SequenceSink() {
                int made;
                @Override public int onLogits(Sequence seq, float[] logits, int offset) {
                    if (++made < decode) return 0;
                    done[0] = true;
                    return -1;
                }
                @Override public void onFailure(Sequence seq, String error) { throw new IllegalStateException(error); }
                @Override public void onFinished(Sequence seq) {}
            });
        }
        while (!s.idle()) {
            var plan = s.plan();
            if (plan == null) continue;
            int decoding = 0; // rows past the prompt
            for (int i = 0; i < plan.sequences().size(); i++) {
                if (plan.counts()[i] == 1 && plan.sequences().get(i).computed() >= prompt) decoding++;
            }
            s.execute(plan);
            s.commit(plan);
            if (done[0]) return decoding;
        }
        return 0;
    }

    /** Aggregate tokens/s of decode steps with {@code b} sequences at context {@code prompt}. */
    static double decodeRate(Model m, KvCacheType type, int b, int prompt) {
        if (specsWithState(m) > 0) throw new IllegalStateException("the capacity decode rate needs a model whose cache is all paged; use --count-only");
        int steps = 16, bs = m.cacheBlockSize();
        int vocab = m.config().vocabSize();
        try (KvBlockPool pool = KvBlockPool.forLayers(bs, b * ((prompt + steps + 4) / bs + 1), m.cacheSpecs(), type, Arena.ofShared())) {
            BlockTable[] tables = new BlockTable[b];
            for (int i = 0; i < b; i++) {
                tables[i] = new BlockTable(pool);
                tables[i].ensureCapacity(prompt + steps + 3);
                tables[i].setLength(prompt);
            }
            SplittableRandom rnd = new SplittableRandom(2);
            float[] logits = new float[b * vocab];
            int[] rows = new int[b];
            for (int i = 0; i < b; i++) rows[i] = i;
            long t0 = 0;
            for (int step = 0; step < steps + 2; step++) {
                if (step == 2) t0 = System.nanoTime(); // two warm-up steps at this batch size
                int[] tok = new int[b], pos = new int[b];
                for (int i = 0; i < b; i++) {
                    tok[i] = rnd.nextInt(vocab);
                    pos[i] = prompt + step;
                }
                m.forward(new ForwardBatch(b, tok, pos, tables.clone(), rows), logits);
                for (BlockTable t : tables) t.setLength(prompt + step + 1);
            }
            return (double) b * steps / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static int specsWithState(Model m) {
        return (int) m.cacheSpecs().stream().filter(s -> s instanceof dev.ember.engine.kv.SequenceStateSpec<?>).count();
    }
}
