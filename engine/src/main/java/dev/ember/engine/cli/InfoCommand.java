package dev.ember.engine.cli;

import dev.ember.engine.model.WeightSource;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.tensor.TensorType;

import java.io.PrintStream;
import java.lang.reflect.Array;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** `ember info`: architecture, sizes, tensor types and a metadata summary. */
final class InfoCommand implements Main.Command {
    @Override
    public String usage() { return "info --model PATH [--check-weights]"; }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("info", argv, 1, Set.of("check-weights"));
        var path = a.path("model");
        boolean checkWeights = a.flag("check-weights");
        a.rejectUnknown();
        try (LoadedModel lm = LoadedModel.open(path, 1)) {
            WeightSource src = lm.source();
            List<WeightSource.TensorSummary> tensors = src.tensorSummaries();
            String format = java.nio.file.Files.isDirectory(path) ? "Hugging Face directory" : "GGUF v" + lm.file().version();
            out.println("file:         " + path + " (" + format + ", " + tensors.size() + " tensors)");
            out.println("model:        " + lm.model().describe());
            long params = 0, bytes = 0;
            Map<TensorType, long[]> byType = new TreeMap<>();
            for (WeightSource.TensorSummary t : tensors) {
                params += t.elements();
                bytes += t.bytes();
                long[] c = byType.computeIfAbsent(t.type(), k -> new long[2]);
                c[0]++;
                c[1] += t.bytes();
            }
            out.printf("parameters:   %,d (%.1f MiB of weights)%n", params, bytes / 1048576.0);
            StringBuilder types = new StringBuilder();
            byType.forEach((t, c) -> types.append(String.format("%s x%d (%.1f MiB)  ", t, c[0], c[1] / 1048576.0)));
            out.println("tensor types: " + types.toString().trim());
            Map<String, Object> meta = src.metadata();
            if (lm.hasTokenizer()) {
                var tok = lm.tokenizer();
                out.println("tokenizer:    " + meta.getOrDefault("tokenizer.ggml.model", "?") + " (" + tok.vocabSize()
                        + " tokens, pre " + meta.getOrDefault("tokenizer.ggml.pre", "default") + ")");
            } else {
                out.println("tokenizer:    none");
            }
            StringBuilder cache = new StringBuilder();
            for (dev.ember.engine.api.KvCacheType t : dev.ember.engine.api.KvCacheType.values()) {
                cache.append(String.format("%s %,d  ", t, dev.ember.engine.kv.CacheManager.bytesPerToken(lm.model().cacheSpecs(), t)));
            }
            out.println("cache:        bytes per token: " + cache.toString().trim() + " (default " + dev.ember.engine.api.KvCacheType.DEFAULT + ")");
            if (checkWeights) {
                List<String> bad = dev.ember.engine.runtime.WeightCheck.nonFinite(src, Integer.MAX_VALUE);
                out.println("weights:      " + (bad.isEmpty() ? "all finite" : bad.size() + " tensors with NaN or Inf: " + String.join("; ", bad)));
                if (!bad.isEmpty()) return 1;
            }
            out.println("metadata:");
            for (Map.Entry<String, Object> e : meta.entrySet()) {
                out.println("  " + e.getKey() + " = " + summarize(e.getValue()));
            }
        }
        return 0;
    }

    static String summarize(Object v) {
        if (v != null && v.getClass().isArray()) {
            int n = Array.getLength(v);
            StringBuilder b = new StringBuilder("[" + n + " items: ");
            for (int i = 0; i < Math.min(n, 5); i++) b.append(i > 0 ? ", " : "").append(Array.get(v, i));
            return b.append(n > 5 ? ", …]" : "]").toString();
        }
        String s = String.valueOf(v);
        return s.length() > 120 ? s.substring(0, 117).replace("\n", "\\n") + "…" : s.replace("\n", "\\n");
    }
}
