package dev.ember.engine.cli;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
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
                + " | bench --model PATH --scenario decode-batch|shared-prefix|random-prompts [--threads T] [--json]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("bench", argv, 1, Set.of("json"));
        var path = a.path("model");
        int p = a.integer("p", 512);
        int n = a.integer("n", 128);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        int reps = a.integer("reps", 2);
        int batch = a.integer("batch", 512);
        boolean json = a.flag("json");
        String scenario = a.string("scenario", null);
        a.rejectUnknown();
        if (scenario != null) return BenchScenarios.run(scenario, path, threads, json, out);
        if (p < 0 || n < 0 || reps < 1 || batch < 1) throw new Args.UsageException("bench: -p, -n must be >= 0, --reps and --batch >= 1");
        try (LoadedModel lm = LoadedModel.open(path, threads)) {
            Model m = lm.model();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", path.toString());
            result.put("describe", m.describe());
            result.put("threads", threads);
            result.put("kernels", dev.ember.engine.kernels.Kernels.get().name());
            if (p > 0) {
                prefill(m, p, batch); // warm-up
                double sum = 0;
                for (int r = 0; r < reps; r++) sum += prefill(m, p, batch);
                double tps = p / (sum / reps);
                result.put("pp" + p + "_tok_s", round(tps));
                if (!json) out.printf("pp%d: %.2f tok/s%n", p, tps);
            }
            if (n > 0) {
                decode(m, Math.min(n, 16)); // warm-up
                double sum = 0;
                for (int r = 0; r < reps; r++) sum += decode(m, n);
                double tps = n / (sum / reps);
                result.put("tg" + n + "_tok_s", round(tps));
                if (!json) out.printf("tg%d: %.2f tok/s%n", n, tps);
            }
            if (json) out.println(Json.write(result));
        }
        return 0;
    }

    static double round(double v) { return Math.round(v * 100) / 100.0; }

    private static int[] randomTokens(Model m, int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = rnd.nextInt(m.config().vocabSize());
        return t;
    }

    /** Seconds to prefill {@code p} random tokens in chunks of {@code batch}; logits for the last row only. */
    static double prefill(Model m, int p, int batch) {
        int[] tokens = randomTokens(m, p, 1);
        KvBlockPool pool = new KvBlockPool(16, (p + 15) / 16 + 1, m.keyWidths(), m.valueWidths());
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
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Seconds to decode {@code n} tokens one at a time from an empty context. */
    static double decode(Model m, int n) {
        int[] tokens = randomTokens(m, n, 2);
        KvBlockPool pool = new KvBlockPool(16, (n + 15) / 16 + 1, m.keyWidths(), m.valueWidths());
        BlockTable table = new BlockTable(pool);
        table.ensureCapacity(n);
        float[] logits = new float[m.config().vocabSize()];
        int[] last = {0};
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            m.forward(ForwardBatch.ofSequence(tokens, i, 1, i, table, last), logits);
            table.setLength(i + 1);
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
