package dev.ember.engine.cli;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.util.Json;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * `ember score`: the perplexity of a corpus. Documents are separated by blank lines (or, with
 * --jsonl, one JSON object per line with a "text" field). Reports the token-weighted perplexity
 * over all documents: exp(-Σ logprob / Σ tokens).
 */
final class ScoreCommand implements Main.Command {
    @Override
    public String usage() { return "score --model PATH --file F [--jsonl] [--limit N] [--shuffle-words] [--threads T] [--kv-cache-type f16|bf16|f32|q8_0] [--kv-cache-bytes N] [--json]"; }

    @Override
    public int run(String[] argv, PrintStream out) throws Exception {
        Args a = new Args("score", argv, 1, Set.of("jsonl", "shuffle-words", "json"));
        Path model = a.path("model");
        Path file = a.path("file");
        boolean jsonl = a.flag("jsonl");
        boolean shuffle = a.flag("shuffle-words");
        boolean json = a.flag("json");
        int limit = a.integer("limit", Integer.MAX_VALUE);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        EngineOptions options = a.cacheOptions(EngineOptions.defaults().withThreads(threads));
        a.rejectUnknown();
        List<String> docs = documents(file, jsonl, limit);
        if (docs.isEmpty()) throw new IllegalArgumentException(file + ": no documents to score (the file is empty or blank)");
        if (shuffle) docs = docs.stream().map(ScoreCommand::shuffleWords).toList();
        try (Engine e = Engine.open(model, options)) {
            long t0 = System.nanoTime(); // after loading: the figure is scoring throughput
            List<CompletableFuture<ScoreResult>> futures = new ArrayList<>();
            for (String d : docs) futures.add(e.scoreTokens(e.tokenize(d, false))); // a corpus is data: control-token texts stay text
            double logprob = 0;
            long tokens = 0;
            int errors = 0;
            for (CompletableFuture<ScoreResult> f : futures) {
                ScoreResult r = f.join();
                if (r.error() != null) { errors++; continue; }
                logprob += r.logprob();
                tokens += r.tokens();
            }
            double ppl = Math.exp(-logprob / tokens);
            double secs = (System.nanoTime() - t0) / 1e9;
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("documents", docs.size());
                o.put("errors", errors);
                o.put("tokens", tokens);
                o.put("logprob", logprob);
                o.put("perplexity", ppl);
                o.put("seconds", BenchCommand.round(secs));
                o.put("tokens_per_s", BenchCommand.round(tokens / secs));
                out.println(Json.write(o));
            } else {
                out.printf("%d documents (%d errors), %d scored tokens: perplexity %.4f (%.1f s, %.1f tokens/s)%n", docs.size(), errors, tokens, ppl, secs, tokens / secs);
            }
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    static List<String> documents(Path file, boolean jsonl, int limit) throws Exception {
        List<String> docs = new ArrayList<>();
        if (jsonl) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) continue;
                Object text;
                try {
                    text = Json.parse(line) instanceof Map<?, ?> m ? m.get("text") : null;
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": not valid JSON (" + e.getMessage() + ")");
                }
                if (!(text instanceof String t)) throw new IllegalArgumentException(file + " line " + (i + 1) + ": needs a string \"text\" field");
                docs.add(t);
                if (docs.size() >= limit) break;
            }
        } else {
            for (String d : Files.readString(file).split("\\n\\s*\\n")) {
                if (d.isBlank()) continue;
                docs.add(d.strip());
                if (docs.size() >= limit) break;
            }
        }
        return docs;
    }

    /** The same words in a seeded random order, line by line: a control with the word statistics but no grammar. */
    static String shuffleWords(String doc) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(doc.hashCode());
        StringBuilder b = new StringBuilder();
        for (String line : doc.split("\n")) {
            List<String> words = new ArrayList<>(List.of(line.split(" ")));
            for (int i = words.size() - 1; i > 0; i--) java.util.Collections.swap(words, i, rnd.nextInt(i + 1));
            if (!b.isEmpty()) b.append('\n');
            b.append(String.join(" ", words));
        }
        return b.toString();
    }
}
