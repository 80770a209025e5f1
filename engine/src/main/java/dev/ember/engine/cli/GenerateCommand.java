package dev.ember.engine.cli;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.util.Json;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** `ember generate`: one completion, as text or (with --json) one JSON object on the last line. */
final class GenerateCommand implements Main.Command {
    @Override
    public String usage() {
        return "generate --model PATH --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--min-p P]"
                + " [--repeat-penalty R] [--seed S] [--stop STR] [--threads T] [--kv-cache-type f16|bf16|f32|q8_0] [--kv-cache-bytes N] [--json]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("generate", argv, 1, Set.of("json", "ignore-eos"));
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
                .build();
        boolean json = a.flag("json");
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        EngineOptions options = a.cacheOptions(EngineOptions.defaults().withThreads(threads).withMaxSequences(1));
        a.rejectUnknown();
        try (Engine engine = Engine.open(model, options)) {
            Result r = engine.generate(List.of(Request.ofText("cli", prompt, sampling))).getFirst();
            if (!r.ok()) throw new IllegalStateException(r.error());
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("text", r.text());
                o.put("token_ids", r.tokenIds());
                o.put("prompt_token_ids", r.promptTokenIds());
                o.put("finish_reason", r.finishReason().wireName());
                o.put("prompt_tokens", r.promptTokens());
                o.put("completion_tokens", r.completionTokens());
                o.put("latency_ms", r.latencyNanos() / 1e6);
                out.println(Json.write(o));
            } else {
                out.println(prompt + r.text());
            }
        }
        return 0;
    }
}
