package dev.ember.engine.cli;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.runtime.DecodeWarmUp;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.util.Json;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * `ember bench`: llama-bench's two figures. pp: a P-token prompt in one forward pass (chunks of
 * --batch tokens), tokens/s. tg: N tokens decoded one at a time from an empty context, tokens/s.
 * Each runs once to warm up the JIT, then --reps times; the mean is reported.
 */
final class BenchCommand implements Main.Command {
    @Override
    public String usage() {
        return "bench --model PATH [-p 512] [-n 128] [--threads T] [--reps R] [--batch B] [--json]"
                + " | bench --model PATH --context 1k,8k,32k [-n 16] [--fill prefill|synthetic] [--json]"
                + " | bench --membw [--threads T]"
                + " | bench --model PATH --scenario decode-batch|shared-prefix|random-prompts|embed [--threads T] [--json]"
                + " | bench --model PATH --scenario capacity [--prompt 2048] [-n 128] [--kv-cache-bytes 8g] [--kv-cache-type all|f32,f16,bf16,q8_0] [--count-only] [--json]"
                + " | bench --model PATH --json-schema FILE|--regex P|--choice A --choice B|--grammar FILE [-n 128] [--reps R] [--json]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("bench", argv, 1, Set.of("json", "membw", "count-only"));
        boolean membw = a.flag("membw");
        var path = membw ? null : a.path("model");
        int p = a.integer("p", 512);
        int n = a.integer("n", 128);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        int reps = a.integer("reps", 2);
        int batch = a.integer("batch", 512);
        boolean json = a.flag("json");
        String scenario = a.string("scenario", null);
        String contexts = a.string("context", null);
        if (membw) {
            a.rejectUnknown();
            double gbs = MemoryBandwidth.measure(threads);
            if (json) out.println(Json.write(Map.of("read_gb_s", round(gbs), "threads", threads)));
            else out.printf("memory read bandwidth: %.2f GB/s with %d threads%n", gbs, threads);
            return 0;
        }
        boolean synthetic = "synthetic".equals(a.string("fill", "prefill"));
        if ("capacity".equals(scenario)) {
            CapacityBench.Options o = new CapacityBench.Options(a.integer("prompt", 2048), n, a.bytes("kv-cache-bytes", 8L << 30),
                    cacheTypes(a.string("kv-cache-type", "all")), a.flag("count-only"));
            a.rejectUnknown();
            if (o.prompt() < 1 || o.decode() < 1 || o.budget() < 1) throw new Args.UsageException("bench: --prompt, -n and --kv-cache-bytes must be positive");
            Map<String, Object> r = CapacityBench.run(path, threads, o, out, json);
            r.put("scenario", scenario);
            r.put("threads", threads);
            if (json) out.println(Json.write(r));
            return 0;
        }
        var constraint = GenerateCommand.constraint(a, "bench");
        a.rejectUnknown();
        if (constraint != null) return ConstrainedBench.run(path, threads, constraint, n, reps, json, out);
        if (contexts != null) return contextBench(path, threads, contexts, n, synthetic, json, out);
        if (scenario != null) return BenchScenarios.run(scenario, path, threads, json, out);
        if (p < 0 || n < 0 || reps < 1 || batch < 1) throw new Args.UsageException("bench: -p, -n must be >= 0, --reps and --batch >= 1");
        try (LoadedModel lm = LoadedModel.open(path, threads)) {
            Model m = lm.model();
            DecodeWarmUp.run(m); // as the engine does at load, so the kernels compile in the same order
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", path.toString());
            result.put("describe", m.describe());
            result.put("threads", threads);
            result.put("kernels", dev.ember.engine.kernels.Kernels.get().name());
            if (p > 0) {
                KvBlockPool pool = sequencePool(m, p);
                warmUp(() -> prefill(m, pool, p, batch));
                double sum = 0;
                for (int r = 0; r < reps; r++) sum += prefill(m, pool, p, batch);
                double tps = p / (sum / reps);
                result.put("pp" + p + "_tok_s", round(tps));
                if (!json) out.printf("pp%d: %.2f tok/s%n", p, tps);
            }
            if (n > 0) {
                KvBlockPool pool = sequencePool(m, n);
                warmUp(() -> decode(m, pool, n));
                double sum = 0;
                for (int r = 0; r < reps; r++) sum += decode(m, pool, n);
                double tps = n / (sum / reps);
                result.put("tg" + n + "_tok_s", round(tps));
                if (!json) out.printf("tg%d: %.2f tok/s%n", n, tps);
            }
            if (json) out.println(Json.write(result));
        }
        return 0;
    }

    static double round(double v) { return Math.round(v * 100) / 100.0; }

    /** Seconds of warm-up at least, and at most, before anything is timed (see {@link #warmUp}). */
    static final double WARM_UP_SECONDS = 4, WARM_UP_MAX_SECONDS = 30;

    /**
     * JIT warm-up: {@code run} once, as llama-bench does, and again until {@link #WARM_UP_SECONDS}
     * have passed and one whole run went by without the JIT compiling anything (or
     * {@link #WARM_UP_MAX_SECONDS} passed), so the timed runs use the C2-compiled kernels
     * throughout. One short run was not enough on a 2-vCPU machine: with both cores computing, C2
     * finished the decode kernels one to three seconds after their first call
     * (-XX:+PrintCompilation, `--scenario decode-batch` on Q4_K_M). A fixed four seconds was not
     * enough for a mixture of experts, whose experts' GEMMs take many row counts and so many
     * paths: on qwen3moe-mini C2 was still compiling matmul code at 15 s, its vector code ran
     * unintrinsified until then (boxing a vector per operation: the heap churned 2 GB/s), and
     * `-p 512` read 174 to 567 tok/s from one JVM to the next.
     */
    static void warmUp(Runnable run) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean tracked = jit != null && jit.isCompilationTimeMonitoringSupported();
        long t0 = System.nanoTime();
        while (true) {
            long compiled = tracked ? jit.getTotalCompilationTime() : 0;
            run.run();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            boolean quiet = !tracked || jit.getTotalCompilationTime() == compiled;
            if (elapsed >= WARM_UP_MAX_SECONDS || (elapsed >= WARM_UP_SECONDS && quiet)) return;
        }
    }

    /** A pool of {@code blocks} blocks of {@code blockSize} tokens in the engine's default cache type, as the engine would make. */
    static KvBlockPool pool(Model m, int blockSize, int blocks) {
        return KvBlockPool.forLayers(blockSize, blocks, m.cacheSpecs(), dev.ember.engine.api.KvCacheType.DEFAULT, java.lang.foreign.Arena.ofAuto());
    }

    /** A pool of 16-token blocks that holds one sequence of {@code tokens}, with a block to spare. */
    static KvBlockPool sequencePool(Model m, int tokens) {
        return pool(m, 16, (tokens + 15) / 16 + 1);
    }

    /** "all", or a comma-separated list of cache types. */
    static java.util.List<dev.ember.engine.api.KvCacheType> cacheTypes(String spec) {
        if (spec.equalsIgnoreCase("all")) return java.util.List.of(dev.ember.engine.api.KvCacheType.values());
        try {
            return java.util.Arrays.stream(spec.split(",")).map(String::trim).map(dev.ember.engine.api.KvCacheType::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("bench: --kv-cache-type: " + e.getMessage());
        }
    }

    /**
     * Decode speed at long contexts: for each N, fill a sequence with N tokens (a real prefill, or
     * with --fill synthetic random state of the same size), then time n decode steps. Reports
     * tokens/s, ms/token and the cache bytes the sequence holds.
     */
    private int contextBench(java.nio.file.Path path, int threads, String contexts, int n, boolean synthetic, boolean json, PrintStream out) {
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, Object> perContext = new LinkedHashMap<>();
        try (LoadedModel lm = LoadedModel.open(path, threads)) {
            Model m = lm.model();
            result.put("model", path.toString());
            result.put("threads", threads);
            result.put("fill", synthetic ? "synthetic" : "prefill");
            decode(m, 32); // JIT warm-up before the first context, so all contexts are timed warm
            for (String c : contexts.split(",")) {
                String spec = c.trim().toLowerCase(java.util.Locale.ROOT);
                int ctx = spec.endsWith("k") ? Integer.parseInt(spec.substring(0, spec.length() - 1)) * 1024 : Integer.parseInt(spec);
                int steps = Math.max(n, 4);
                int bs = m.cacheBlockSize();
                KvBlockPool pool = BenchCommand.pool(m, bs, (ctx + steps + 8) / bs + 2);
                BlockTable table = new BlockTable(pool);
                table.ensureCapacity(ctx + steps + 1);
                float[] logits = new float[m.config().vocabSize()];
                long t0 = System.nanoTime();
                if (synthetic) {
                    fillSynthetic(m, table, ctx, 7);
                } else {
                    int[] tokens = randomTokens(m, ctx, 3);
                    for (int start = 0; start < ctx; start += 512) {
                        int cnt = Math.min(512, ctx - start);
                        m.forward(ForwardBatch.ofSequence(tokens, start, cnt, start, table, new int[0]), logits);
                        table.setLength(start + cnt);
                    }
                }
                double fillSeconds = (System.nanoTime() - t0) / 1e9;
                int[] next = randomTokens(m, steps + 2, 4);
                int[] last = {0};
                for (int i = 0; i < 2; i++) { // a couple of steps at this context before timing
                    m.forward(ForwardBatch.ofSequence(next, i, 1, ctx + i, table, last), logits);
                    table.setLength(ctx + i + 1);
                }
                long d0 = System.nanoTime();
                for (int i = 2; i < steps + 2; i++) {
                    m.forward(ForwardBatch.ofSequence(next, i, 1, ctx + i, table, last), logits);
                    table.setLength(ctx + i + 1);
                }
                double secs = (System.nanoTime() - d0) / 1e9;
                long cacheBytes = (long) ctx * dev.ember.engine.kv.CacheManager.bytesPerToken(m.cacheSpecs(), pool.type());
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("tok_s", round(steps / secs));
                r.put("ms_per_token", round(secs * 1000 / steps));
                r.put("cache_bytes", cacheBytes);
                r.put("fill_s", round(fillSeconds));
                perContext.put(String.valueOf(ctx), r);
                if (!json) out.printf("context %d: %.2f tok/s (%.1f ms/token), cache %.1f MiB, %s in %.1f s%n", ctx, steps / secs,
                        secs * 1000 / steps, cacheBytes / 1048576.0, synthetic ? "synthetic fill" : "prefill", fillSeconds);
            }
        }
        result.put("contexts", perContext);
        if (json) out.println(Json.write(result));
        return 0;
    }

    /**
     * Makes {@code table} look as if {@code length} tokens had been processed, with random state
     * of the right size instead of a prefill (decode cost depends on how much state there is, not
     * on its values): random rows in paged layers, {@link dev.ember.engine.kv.SequenceState#fillSynthetic} in the others.
     */
    static void fillSynthetic(Model m, BlockTable table, int length, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        KvBlockPool pool = table.pool();
        java.util.List<dev.ember.engine.kv.LayerCacheSpec> specs = m.cacheSpecs();
        for (int l = 0; l < specs.size(); l++) {
            if (specs.get(l) instanceof dev.ember.engine.kv.SequenceStateSpec<?> spec) {
                table.state(l, spec).fillSynthetic(length, rnd);
                continue;
            }
            float[] k = new float[pool.keyWidth(l)], v = new float[pool.valueWidth(l)];
            for (int p = 0; p < length; p++) {
                for (int i = 0; i < k.length; i++) k[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
                if (k.length > 0) pool.writeKey(l, table.slot(p), k, 0);
                if (v.length > 0) pool.writeValue(l, table.slot(p), v, 0);
            }
        }
        table.setLength(length);
    }

    private static int[] randomTokens(Model m, int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = rnd.nextInt(m.config().vocabSize());
        return t;
    }

    /** Seconds to prefill {@code p} random tokens in chunks of {@code batch}, in {@code pool}'s blocks (see {@link #decode(Model, KvBlockPool, int)}); logits for the last row only. */
    static double prefill(Model m, KvBlockPool pool, int p, int batch) {
        int[] tokens = randomTokens(m, p, 1);
        BlockTable table = new BlockTable(pool);
        table.ensureCapacity(p);
        float[] logits = new float[m.config().vocabSize()];
        long t0 = System.nanoTime();
        for (int start = 0; start < p; start += batch) {
            int c = Math.min(batch, p - start);
            int[] rows = start + c == p ? new int[]{c - 1} : new int[0];
            m.forward(ForwardBatch.ofSequence(tokens, start, c, start, table, rows), logits);
            table.setLength(start + c);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        table.release();
        return seconds;
    }

    /** {@link #decode(Model, KvBlockPool, int)} in a pool of its own (a warm-up before another benchmark). */
    static double decode(Model m, int n) {
        return decode(m, sequencePool(m, n), n);
    }

    /**
     * Seconds to decode {@code n} tokens one at a time from an empty context, in {@code pool}'s
     * blocks, which it gives back. The timed runs share one pool, as the engine keeps one for its
     * life and llama-bench one KV cache: a pool made per run faulted in fresh pages inside every
     * timed run (the kernel clearing them was a tenth of a qwen3moe-mini prefill profile).
     */
    static double decode(Model m, KvBlockPool pool, int n) {
        int[] tokens = randomTokens(m, n, 2);
        BlockTable table = new BlockTable(pool);
        table.ensureCapacity(n);
        float[] logits = new float[m.config().vocabSize()];
        int[] last = {0};
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            m.forward(ForwardBatch.ofSequence(tokens, i, 1, i, table, last), logits);
            table.setLength(i + 1);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        table.release();
        return seconds;
    }
}
