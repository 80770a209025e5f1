package dev.ember.engine.cli;

import dev.ember.engine.api.EmbedResult;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.util.Json;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * `ember embed`: one text's embedding ({@code --text}; with {@code --json} the last line is
 * {@code {"embedding": [...], "tokens": N}}), or a JSONL file's ({@code --file}, a "text" field
 * per line) written to {@code --out} as little-endian float32 {@code [n × dim]}, row i for line
 * i. A line that cannot be embedded gets a row of NaN and is named on stderr, so rows stay aligned
 * with lines.
 */
final class EmbedCommand implements Main.Command {
    @Override
    public String usage() {
        return "embed --model PATH (--text TEXT [--json] | --file F.jsonl --out F.f32 [--json]) [--threads T] [--kv-cache-type f32|f16|bf16|q8_0]";
    }

    @Override
    public int run(String[] argv, PrintStream out) throws Exception {
        Args a = new Args("embed", argv, 1, Set.of("json"));
        Path model = a.path("model");
        String text = a.string("text", null);
        String file = a.string("file", null);
        String outFile = a.string("out", null);
        boolean json = a.flag("json");
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        // Decoder embedding models (Qwen3-Embedding) run through the KV cache: f32 there gives fp32 parity.
        EngineOptions options = a.cacheOptions(EngineOptions.defaults().withThreads(threads));
        a.rejectUnknown();
        if ((text == null) == (file == null)) throw new Args.UsageException("embed: pass exactly one of --text TEXT or --file F.jsonl");
        if (file != null && outFile == null) throw new Args.UsageException("embed: --file needs --out F.f32 (where the vectors go)");
        try (Engine e = Engine.open(model, options)) {
            if (e.embeddingDimension() == 0) {
                throw new IllegalArgumentException(model + ": " + e.describe() + " is not an embedding model; pass a sentence-transformers"
                        + " folder or a GGUF with a pooling type (bert, or qwen3 converted from Qwen3-Embedding)");
            }
            return text != null ? one(e, text, json, out) : many(e, Path.of(file), Path.of(outFile), json, out);
        }
    }

    private static int one(Engine e, String text, boolean json, PrintStream out) {
        EmbedResult r = e.embed(text);
        if (r.error() != null) throw new IllegalArgumentException(r.error());
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            List<Double> v = new ArrayList<>(r.embedding().length);
            for (float f : r.embedding()) v.add((double) f);
            o.put("embedding", v);
            o.put("tokens", r.tokens());
            out.println(Json.write(o));
        } else {
            out.println(r.tokens() + " tokens" + (r.truncated() ? " (truncated)" : "") + ", dimension " + r.embedding().length);
            out.println(Arrays.toString(r.embedding()));
        }
        return 0;
    }

    private static int many(Engine e, Path file, Path outFile, boolean json, PrintStream out) throws Exception {
        List<String> texts = ScoreCommand.documents(file, true, Integer.MAX_VALUE);
        long t0 = System.nanoTime();
        List<CompletableFuture<EmbedResult>> futures = new ArrayList<>();
        for (String t : texts) futures.add(t == null ? CompletableFuture.completedFuture(EmbedResult.failed("no \"text\" field")) : e.embedAsync(t));
        int dim = e.embeddingDimension();
        int errors = 0;
        long tokens = 0;
        ByteBuffer row = ByteBuffer.allocate(dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(outFile))) {
            for (int i = 0; i < futures.size(); i++) {
                EmbedResult r = futures.get(i).join();
                row.clear();
                if (r.error() != null) {
                    errors++;
                    System.err.println("ember embed: line " + (i + 1) + ": " + r.error() + " (row of NaN written)");
                    for (int j = 0; j < dim; j++) row.putFloat(Float.NaN);
                } else {
                    tokens += r.tokens();
                    for (float f : r.embedding()) row.putFloat(f);
                }
                os.write(row.array());
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("embeddings", texts.size());
            o.put("dim", dim);
            o.put("errors", errors);
            o.put("tokens", tokens);
            o.put("seconds", BenchCommand.round(secs));
            o.put("out", outFile.toString());
            out.println(Json.write(o));
        } else {
            out.printf("%d embeddings of dimension %d (%d errors, %d tokens) written to %s in %.2f s%n", texts.size(), dim, errors, tokens, outFile, secs);
        }
        return errors == texts.size() && !texts.isEmpty() ? 1 : 0;
    }
}
