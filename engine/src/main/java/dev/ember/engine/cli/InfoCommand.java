package dev.ember.engine.cli;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufTensorInfo;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.tensor.TensorType;

import java.io.PrintStream;
import java.lang.reflect.Array;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** `ember info`: architecture, sizes, tensor types and a metadata summary. */
final class InfoCommand implements Main.Command {
    @Override
    public String usage() { return "info --model PATH"; }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("info", argv, 1, Set.of());
        var path = a.path("model");
        a.rejectUnknown();
        try (LoadedModel lm = LoadedModel.open(path, 1)) {
            GgufFile f = lm.file();
            out.println("file:         " + path + " (GGUF v" + f.version() + ", " + f.tensorInfos().size() + " tensors)");
            out.println("model:        " + lm.model().describe());
            long params = 0, bytes = 0;
            Map<TensorType, long[]> byType = new TreeMap<>();
            for (GgufTensorInfo t : f.tensorInfos().values()) {
                long n = 1;
                for (long d : t.shape()) n *= d;
                params += n;
                bytes += t.byteSize();
                long[] c = byType.computeIfAbsent(t.type(), k -> new long[2]);
                c[0]++;
                c[1] += t.byteSize();
            }
            out.printf("parameters:   %,d (%.1f MiB of weights)%n", params, bytes / 1048576.0);
            StringBuilder types = new StringBuilder();
            byType.forEach((t, c) -> types.append(String.format("%s x%d (%.1f MiB)  ", t, c[0], c[1] / 1048576.0)));
            out.println("tensor types: " + types.toString().trim());
            out.println("tokenizer:    " + (lm.hasTokenizer() ? f.getString("tokenizer.ggml.model") + " (" + f.getStringArray("tokenizer.ggml.tokens").length
                    + " tokens, pre " + f.getString("tokenizer.ggml.pre", "default") + ")" : "none"));
            out.println("metadata:");
            for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
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
