package dev.ember.engine.cli;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.EngineStats;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.runtime.DecodeWarmUp;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.util.Json;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The batch-engine benchmarks of `ember bench --scenario`; the last line is one JSON object with --json. */
final class BenchScenarios {
    private BenchScenarios() {}

    static int run(String scenario, Path model, int threads, boolean json, PrintStream out) {
        Map<String, Object> result = switch (scenario) {
            case "decode-batch" -> decodeBatch(model, threads, out, json);
            case "shared-prefix" -> sharedPrefix(model, threads, out, json);
            case "random-prompts" -> randomPrompts(model, threads, out, json);
            case "embed" -> embed(model, threads, out, json);
            default -> throw new Args.UsageException("bench: unknown --scenario '" + scenario + "' (decode-batch, shared-prefix, random-prompts, embed)");
        };
        result.put("scenario", scenario);
        result.put("threads", threads);
        if (json) out.println(Json.write(result));
        return 0;
    }

    private static int[] tokens(SplittableRandom rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(vocab);
        return t;
    }

    /**
     * Aggregate decode tokens/s with B sequences decoding together (llama-batched-bench's S_TG):
     * each sequence gets a 64-token prompt, then 32 decode steps of one B-row batch are timed.
     */
    static Map<String, Object> decodeBatch(Path path, int threads, PrintStream out, boolean json) {
        Map<String, Object> rates = new LinkedHashMap<>();
        try (LoadedModel lm = LoadedModel.open(path, threads)) {
            Model m = lm.model();
            DecodeWarmUp.run(m); // as the engine does at load
            int vocab = m.config().vocabSize();
            int prompt = 64, steps = 32;
            for (int b : new int[]{1, 8, 32}) {
                KvBlockPool pool = BenchCommand.pool(m, 16, b * ((prompt + steps + 8) / 16 + 2));
                SplittableRandom rnd = new SplittableRandom(b);
                BlockTable[] tables = new BlockTable[b];
                float[] logits = new float[b * vocab];
                for (int s = 0; s < b; s++) {
                    tables[s] = new BlockTable(pool);
                    tables[s].ensureCapacity(prompt + steps + 1);
                    m.forward(ForwardBatch.ofSequence(tokens(rnd, prompt, vocab), 0, prompt, 0, tables[s], new int[]{prompt - 1}), logits);
                    tables[s].setLength(prompt);
                }
                int[] rows = new int[b];
                for (int s = 0; s < b; s++) rows[s] = s;
                // JIT warm-up at this batch size, as `bench` does before timing tg (BenchCommand.warmUp:
                // two steps, and later one run, had left B = 1, the first size timed, running decode
                // kernels still being compiled); then the same positions are decoded again, timed.
                BenchCommand.warmUp(() -> {
                    decodeSteps(m, tables, rnd, prompt, steps, logits, rows);
                    for (BlockTable t : tables) t.setLength(prompt);
                });
                long t0 = System.nanoTime();
                decodeSteps(m, tables, rnd, prompt, steps, logits, rows);
                double secs = (System.nanoTime() - t0) / 1e9;
                double tps = b * steps / secs;
                rates.put(String.valueOf(b), BenchCommand.round(tps));
                if (!json) out.printf("decode-batch B=%d: %.2f tok/s aggregate (%.1f ms/step)%n", b, tps, secs * 1000 / steps);
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("aggregate_tok_s", rates);
        double one = ((Number) rates.get("1")).doubleValue();
        r.put("speedup_32_vs_1", BenchCommand.round(((Number) rates.get("32")).doubleValue() / one));
        return r;
    }

    private static void decodeSteps(Model m, BlockTable[] tables, SplittableRandom rnd, int firstPos, int steps, float[] logits, int[] rows) {
        int b = tables.length;
        for (int i = 0; i < steps; i++) {
            int[] tok = tokens(rnd, b, m.config().vocabSize());
            int[] pos = new int[b];
            java.util.Arrays.fill(pos, firstPos + i);
            m.forward(new ForwardBatch(b, tok, pos, tables.clone(), rows), logits);
            for (BlockTable t : tables) t.setLength(firstPos + i + 1);
        }
    }

    /** 32 prompts of a 512-token common prefix plus 32 distinct tokens, 16 new tokens each; wall seconds with and without sharing. */
    static Map<String, Object> sharedPrefix(Path path, int threads, PrintStream out, boolean json) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (Engine e = Engine.open(path, EngineOptions.defaults().withThreads(threads).withMaxSequences(32))) {
            int vocab = e.vocabSize();
            SplittableRandom rnd = new SplittableRandom(5);
            int[] prefix = tokens(rnd, 512, vocab);
            List<Request> reqs = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int[] p = java.util.Arrays.copyOf(prefix, 544);
                System.arraycopy(tokens(rnd, 32, vocab), 0, p, 512, 32);
                reqs.add(Request.ofTokens("s" + i, p, SamplingParams.builder().maxTokens(16).ignoreEos(true).build()));
            }
            e.generate(List.of(Request.ofTokens("warm", tokens(rnd, 64, vocab), SamplingParams.builder().maxTokens(4).build())));
            e.setPrefixSharing(false);
            double off = timed(e, reqs);
            e.setPrefixSharing(true);
            double on = timed(e, reqs);
            int cached = 0;
            for (Result res : e.generate(List.of(reqs.get(0)))) cached += res.cachedPromptTokens();
            r.put("sharing_on_s", BenchCommand.round(on));
            r.put("sharing_off_s", BenchCommand.round(off));
            r.put("speedup", BenchCommand.round(off / on));
            if (!json) out.printf("shared-prefix: sharing on %.2f s, off %.2f s, speedup %.2fx (a repeat hits %d cached tokens)%n", on, off, off / on, cached);
        }
        return r;
    }

    private static double timed(Engine e, List<Request> reqs) {
        long t0 = System.nanoTime();
        for (Result r : e.generate(reqs)) if (!r.ok()) throw new IllegalStateException(r.error());
        return (System.nanoTime() - t0) / 1e9;
    }

    static final int EMBED_TEXTS = 256, EMBED_TOKENS = 128;

    /**
     * Embedding throughput: 256 texts of 128 tokens (fixed random ids) submitted at once through
     * {@link Engine#embedTokens}, batched as the engine batches them (an encoder in its own
     * batches, a decoder in the scheduler's), after a warm-up of 32; embeddings/s and tokens/s.
     */
    static Map<String, Object> embed(Path path, int threads, PrintStream out, boolean json) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (Engine e = Engine.open(path, EngineOptions.defaults().withThreads(threads).withMaxSequences(32))) {
            if (e.embeddingDimension() == 0) {
                throw new IllegalArgumentException(path + " is not an embedding model (no pooling type); bench --scenario embed needs"
                        + " a sentence-transformers folder or a GGUF with one (e.g. ember synth --preset qwen3-0.6b --pooling last)");
            }
            SplittableRandom rnd = new SplittableRandom(11);
            List<int[]> texts = new ArrayList<>();
            for (int i = 0; i < EMBED_TEXTS; i++) texts.add(tokens(rnd, EMBED_TOKENS, e.vocabSize()));
            embedAll(e, texts.subList(0, 32)); // JIT warm-up
            long t0 = System.nanoTime();
            long tokens = embedAll(e, texts);
            double secs = (System.nanoTime() - t0) / 1e9;
            r.put("texts", texts.size());
            r.put("tokens_per_text", EMBED_TOKENS);
            r.put("dimension", e.embeddingDimension());
            r.put("wall_s", BenchCommand.round(secs));
            r.put("embeddings_s", BenchCommand.round(texts.size() / secs));
            r.put("tokens_s", BenchCommand.round(tokens / secs));
            if (!json) out.printf("embed: %d texts of %d tokens in %.2f s: %.2f embeddings/s, %.1f tokens/s (dimension %d)%n",
                    texts.size(), EMBED_TOKENS, secs, texts.size() / secs, tokens / secs, e.embeddingDimension());
        }
        return r;
    }

    /** Embeds all at once and waits; the tokens embedded. An error is the benchmark's failure, not a slow row. */
    private static long embedAll(Engine e, List<int[]> texts) {
        List<java.util.concurrent.CompletableFuture<dev.ember.engine.api.EmbedResult>> futures = new ArrayList<>();
        for (int[] t : texts) futures.add(e.embedTokens(t));
        long tokens = 0;
        for (var f : futures) {
            var res = f.join();
            if (res.error() != null) throw new IllegalStateException("embedding failed: " + res.error());
            tokens += res.tokens();
        }
        return tokens;
    }

    /** 64 requests with prompts of 16–512 tokens and 8–64 new tokens, all submitted at once. */
    static Map<String, Object> randomPrompts(Path path, int threads, PrintStream out, boolean json) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (Engine e = Engine.open(path, EngineOptions.defaults().withThreads(threads).withMaxSequences(32))) {
            int vocab = e.vocabSize();
            SplittableRandom rnd = new SplittableRandom(9);
            List<Request> reqs = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                reqs.add(Request.ofTokens("r" + i, tokens(rnd, rnd.nextInt(16, 513), vocab),
                        SamplingParams.builder().maxTokens(rnd.nextInt(8, 65)).ignoreEos(true).build()));
            }
            EngineStats before = e.stats();
            double secs = timed(e, reqs);
            EngineStats after = e.stats();
            long in = after.promptTokens() - before.promptTokens();
            long gen = after.generatedTokens() - before.generatedTokens();
            r.put("requests", reqs.size());
            r.put("wall_s", BenchCommand.round(secs));
            r.put("prompt_tokens", in);
            r.put("generated_tokens", gen);
            r.put("prompt_tok_s", BenchCommand.round(in / secs));
            r.put("generated_tok_s", BenchCommand.round(gen / secs));
            if (!json) out.printf("random-prompts: %d requests in %.2f s: %d prompt tokens (%.1f/s), %d generated (%.1f/s)%n",
                    reqs.size(), secs, in, in / secs, gen, gen / secs);
        }
        return r;
    }
}
