package dev.ember.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;

/**
 * The baseline for the Spark job's overhead: the same prompts through one engine in one JVM, no
 * Spark. Prints one line in the job's format (rows/s, tokens/s) to compare with
 * {@code EMBER_JOB ...} from {@code ./ember spark-job} on the same prompts and options.
 *
 * <pre>
 * EngineAloneBench MODEL PROMPTS_JSONL MAX_TOKENS THREADS
 * </pre>
 */
public final class EngineAloneBench {
  private EngineAloneBench() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    List<String> prompts = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      if (!line.isBlank()) {
        JsonNode prompt = json.readTree(line).get("prompt");
        prompts.add(prompt == null || prompt.isNull() ? null : prompt.asText());
      }
    }
    int maxTokens = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      if (prompts.get(i) != null && !prompts.get(i).isEmpty()) {
        requests.add(Request.ofText(Integer.toString(i), prompts.get(i), SamplingParams.greedy(maxTokens)));
      }
    }
    try (Engine engine = Engine.open(model, EngineOptions.defaults().withThreads(threads))) {
      long start = System.nanoTime();
      List<Result> results = engine.generate(requests);
      double seconds = (System.nanoTime() - start) / 1e9;
      long promptTokens = results.stream().mapToLong(Result::promptTokens).sum();
      long completion = results.stream().mapToLong(Result::completionTokens).sum();
      long cached = results.stream().mapToLong(Result::cachedPromptTokens).sum();
      System.out.println(String.format(Locale.ROOT,
          "EMBER_ENGINE rows=%d prompt_tokens=%d cached_prompt_tokens=%d prefix_hit_rate=%.3f completion_tokens=%d"
              + " seconds=%.3f rows_per_s=%.1f tokens_per_s=%.1f",
          results.size(), promptTokens, cached, promptTokens == 0 ? 0.0 : (double) cached / promptTokens, completion, seconds, results.size() / seconds, (promptTokens + completion) / seconds));
    }
  }
}
