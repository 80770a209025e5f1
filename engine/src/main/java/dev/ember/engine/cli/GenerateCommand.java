package dev.ember.engine.cli;

import dev.ember.engine.api.Constraint;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** `ember generate`: one completion, as text or (with --json) one JSON object on the last line. */
final class GenerateCommand implements Main.Command {
    @Override
    public String usage() {
        return "generate --model PATH --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--min-p P]"
                + " [--repeat-penalty R] [--seed S] [--stop STR] [--threads T] [--kv-cache-type f16|bf16|f32|q8_0] [--kv-cache-bytes N] [--json] [--check-weights] [--no-special]"
                + " [--json-schema FILE | --regex PATTERN | --choice A --choice B ... | --grammar FILE.gbnf [--grammar-depth N]]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("generate", argv, 1, Set.of("json", "ignore-eos", "check-weights", "no-special"));
        var model = a.path("model");
        String prompt = a.required("prompt");
        SamplingParams sampling = SamplingParams.builder()
                .maxTokens(a.integer("max-tokens", 128))
                .temperature(a.real("temperature", 0.8f))
                .topK(a.integer("top-k", 0))
                .topP(a.real("top-p", 1f))
                .minP(a.real("min-p", 0f))
                .repetitionPenalty(a.real("repeat-penalty", 1f))
                .presencePenalty(a.real("presence-penalty", 0f))
                .frequencyPenalty(a.real("frequency-penalty", 0f))
                .seed(a.longValue("seed", 0))
                .stop(a.all("stop"))
                .ignoreEos(a.flag("ignore-eos"))
                .constraint(constraint(a, "generate"))
                .build();
        boolean json = a.flag("json");
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        EngineOptions options = a.cacheOptions(EngineOptions.defaults().withThreads(threads).withMaxSequences(1));
        boolean checkWeights = a.flag("check-weights");
        boolean parseSpecial = !a.flag("no-special"); // a prompt typed here may use control tokens on purpose
        a.rejectUnknown();
        if (checkWeights) dev.ember.engine.runtime.WeightCheck.requireFinite(model);
        try (Engine engine = Engine.open(model, options)) {
            Result r = engine.generate(List.of(Request.ofText("cli", prompt, sampling, parseSpecial))).getFirst();
            if (r.finishReason() == FinishReason.ERROR) throw new IllegalStateException(r.error());
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("text", r.text());
                o.put("token_ids", r.tokenIds());
                o.put("prompt_token_ids", r.promptTokenIds());
                o.put("finish_reason", r.finishReason().wireName());
                o.put("prompt_tokens", r.promptTokens());
                o.put("completion_tokens", r.completionTokens());
                o.put("latency_ms", r.latencyNanos() / 1e6);
                if (r.error() != null) o.put("error", r.error());
                out.println(Json.write(o));
            } else {
                out.println(sampling.constraint() != null ? r.text() : prompt + r.text());
                if (r.error() != null) System.err.println("ember generate: " + r.error());
            }
        }
        return 0;
    }

    /** At most one of --json-schema, --regex, --choice, --grammar; null when none is given. */
    static Constraint constraint(Args a, String command) {
        String schema = a.string("json-schema", null);
        String regex = a.string("regex", null);
        List<String> choices = a.all("choice");
        String grammar = a.string("grammar", null);
        int depth = a.integer("grammar-depth", Constraint.Grammar.DEFAULT_DEPTH);
        int given = (schema != null ? 1 : 0) + (regex != null ? 1 : 0) + (choices.isEmpty() ? 0 : 1) + (grammar != null ? 1 : 0);
        if (given > 1) throw new Args.UsageException(command + ": give at most one of --json-schema, --regex, --choice, --grammar");
        if (schema != null) return new Constraint.JsonSchema(readFile(schema, "--json-schema", command));
        if (regex != null) return new Constraint.Regex(regex);
        if (!choices.isEmpty()) return new Constraint.Choice(choices);
        if (grammar != null) return new Constraint.Grammar(readFile(grammar, "--grammar", command), depth);
        return null;
    }

    private static String readFile(String file, String option, String command) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException | RuntimeException e) {
            throw new Args.UsageException(command + ": cannot read " + option + " file '" + file + "': " + e.getMessage());
        }
    }
}
