package dev.ember.engine.cli;

import dev.ember.engine.api.Constraint;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.constrain.CompiledConstraint;
import dev.ember.engine.constrain.ConstraintCursor;
import dev.ember.engine.constrain.TokenVocabulary;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.sample.SequenceSampler;
import dev.ember.engine.sample.TokenMask;
import dev.ember.engine.tokenizer.Tokenizer;
import dev.ember.engine.util.Json;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * `ember bench --model M --json-schema FILE` (or --regex/--choice/--grammar): single-sequence decode
 * speed with and without the constraint, each step a forward pass plus sampling at temperature 1
 * (the constrained run adds the mask). The constrained run starts a new output whenever one is
 * complete, so both decode the same number of tokens. The first constrained run starts with an empty
 * mask cache ("cold"); later runs reuse it ("warm"), as a batch job's rows do. Also reports the
 * schema's compile time, automaton size, mask-cache size and the time to compute one mask.
 */
final class ConstrainedBench {
    private ConstrainedBench() {}

    static int run(Path path, int threads, Constraint constraint, int n, int reps, boolean json, PrintStream out) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (LoadedModel lm = LoadedModel.open(path, threads)) {
            Model m = lm.model();
            Tokenizer tok = lm.tokenizer();
            long t0 = System.nanoTime();
            TokenVocabulary vocab = TokenVocabulary.of(tok, m.config().vocabSize());
            double vocabMs = (System.nanoTime() - t0) / 1e6;
            CompiledConstraint warmup = CompiledConstraint.compile(constraint, vocab, true);
            CompiledConstraint cc = CompiledConstraint.compile(constraint, vocab, true);
            r.put("model", path.toString());
            r.put("vocab", m.config().vocabSize());
            r.put("threads", threads);
            r.put("constraint", constraint.kind());
            r.put("vocab_index_ms", BenchCommand.round(vocabMs));
            r.put("compile_ms", BenchCommand.round(cc.compileNanos() / 1e6));
            r.put("states", cc.states());
            decode(m, Math.min(n, 16), null, 1, new double[2]);       // JIT warm-up, both paths
            decode(m, Math.min(n, 16), warmup, 1, new double[2]);
            double[] timing = new double[2];
            double cold = n / decode(m, n, cc, 100, timing);
            double free = 0, warm = 0, freeSampling = 0, warmSampling = 0;
            for (int i = 0; i < reps; i++) {
                free += n / decode(m, n, null, 200 + i, timing);
                freeSampling += timing[1];
                warm += n / decode(m, n, cc, 300 + i, timing);
                warmSampling += timing[1];
            }
            free /= reps;
            warm /= reps;
            r.put("tg" + n + "_tok_s", BenchCommand.round(free));
            r.put("tg" + n + "_constrained_cold_tok_s", BenchCommand.round(cold));
            r.put("tg" + n + "_constrained_warm_tok_s", BenchCommand.round(warm));
            r.put("warm_ratio", Math.round(warm / free * 1000) / 1000.0);
            // the part of a step that the constraint changes, timed on its own: less noisy than the ratio on a busy machine
            r.put("sampling_ms_per_token", BenchCommand.round(freeSampling * 1000 / reps / n));
            r.put("constrained_sampling_ms_per_token", BenchCommand.round(warmSampling * 1000 / reps / n));
            r.put("masks_cached", cc.cachedMasks());
            r.put("distinct_masks", cc.distinctMasks());
            r.put("mask_cache_bytes", cc.cacheBytes());
            long all = warmup.precomputeAll();
            r.put("mask_ms_mean", BenchCommand.round(all / 1e6 / warmup.states()));
            r.put("all_states_distinct_masks", warmup.distinctMasks());
            r.put("all_states_cache_bytes", warmup.cacheBytes());
        }
        if (json) {
            out.println(Json.write(r));
        } else {
            out.printf("vocabulary %d tokens (index %.0f ms); %s compiled in %.1f ms to %d states%n", r.get("vocab"),
                    r.get("vocab_index_ms"), constraint.kind(), r.get("compile_ms"), r.get("states"));
            out.printf("tg%d: %.2f tok/s unconstrained, %.2f constrained with a cold mask cache, %.2f warm (%.1f %% of unconstrained)%n",
                    n, r.get("tg" + n + "_tok_s"), r.get("tg" + n + "_constrained_cold_tok_s"), r.get("tg" + n + "_constrained_warm_tok_s"),
                    100 * (double) r.get("warm_ratio"));
            out.printf("sampling per token: %.3f ms unconstrained, %.3f ms with the mask (warm)%n", r.get("sampling_ms_per_token"),
                    r.get("constrained_sampling_ms_per_token"));
            out.printf("mask cache: %d states' masks, %d distinct, %.2f MiB; one mask takes %.2f ms to compute%n", r.get("masks_cached"),
                    r.get("distinct_masks"), ((long) r.get("mask_cache_bytes")) / 1048576.0, r.get("mask_ms_mean"));
            out.printf("every state's mask: %d distinct, %.2f MiB%n", r.get("all_states_distinct_masks"),
                    ((long) r.get("all_states_cache_bytes")) / 1048576.0);
        }
        return 0;
    }

    /**
     * Seconds to decode {@code n} tokens one at a time, sampling at temperature 1, constrained by
     * {@code cc} if not null; {@code timing[1]} gets the seconds spent sampling and advancing the constraint.
     */
    private static double decode(Model m, int n, CompiledConstraint cc, long seed, double[] timing) {
        int vocab = m.config().vocabSize();
        KvBlockPool pool = KvBlockPool.forLayers(16, (n + 16) / 16 + 1, m.cacheSpecs(), dev.ember.engine.api.KvCacheType.F32, java.lang.foreign.Arena.ofAuto());
        BlockTable table = new BlockTable(pool);
        table.ensureCapacity(n + 1);
        float[] logits = new float[vocab];
        int[] tokens = new int[n + 1];
        int[] last = {0};
        ConstraintCursor[] cursor = {cc == null ? null : cc.start()};
        TokenMask mask = cc == null ? null : () -> cursor[0].allowedTokens();
        SequenceSampler sampler = new SequenceSampler(SamplingParams.builder().temperature(1f).seed(seed).build(), vocab, new int[0], mask);
        long t0 = System.nanoTime(), sampling = 0;
        for (int i = 0; i < n; i++) {
            m.forward(ForwardBatch.ofSequence(tokens, i, 1, i, table, last), logits);
            table.setLength(i + 1);
            long s0 = System.nanoTime();
            int t = sampler.next(logits, 0);
            tokens[i + 1] = t;
            if (cc != null) {
                ConstraintCursor c = cursor[0];
                if (c.isEndOfGeneration(t)) {
                    cursor[0] = cc.start();              // an output ended: start the next one
                } else {
                    c.advance(t);
                    if (c.complete()) cursor[0] = cc.start();
                }
            }
            sampling += System.nanoTime() - s0;
        }
        timing[1] = sampling / 1e9;
        return (System.nanoTime() - t0) / 1e9;
    }
}
