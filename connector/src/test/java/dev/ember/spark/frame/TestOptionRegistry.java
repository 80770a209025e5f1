package dev.ember.spark.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The option registry: spellings, precedence, closest names, and the README's table. */
class TestOptionRegistry {
  @Test
  void oneNameThreeSpellings() {
    OptionRegistry.Spec spec = OptionRegistry.find("maxTokens", OptionRegistry.Spelling.API);
    assertEquals("max_tokens", spec.sql());
    assertEquals("--max-tokens", spec.flag());
    assertEquals(spec, OptionRegistry.find("max_tokens", OptionRegistry.Spelling.SQL));
    assertEquals(spec, OptionRegistry.find("--max-tokens", OptionRegistry.Spelling.FLAG));
    assertEquals(null, OptionRegistry.find("maxTokens", OptionRegistry.Spelling.SQL), "SQL keys are snake_case only");
    assertEquals("max_tokens", OptionRegistry.closest("maxTokens", OptionRegistry.Spelling.SQL));
    assertEquals("--kv-cache-bytes", OptionRegistry.closest("--kv-cache-byte", OptionRegistry.Spelling.FLAG));
    assertEquals("--kv-cache-type", OptionRegistry.closest("--kv-cache-typ", OptionRegistry.Spelling.FLAG));
  }

  @Test
  void sessionConfIsUnderTheCallsOptions() {
    Map<String, String> conf = Map.of("spark.ember.maxTokens", "7", "spark.ember.temperature", "0.5",
        "spark.ember.model.cacheDir", "/tmp/x", "spark.master", "local");
    EmberOptions opts = OptionRegistry.applySingle(EmberOptions.model("m"), OptionRegistry.fromSessionConf(conf),
        OptionRegistry.Spelling.API, "session conf key", OptionRegistry.API_SCOPES);
    opts = OptionRegistry.applySingle(opts, Map.of("maxTokens", "3"), OptionRegistry.Spelling.API, "option", OptionRegistry.API_SCOPES);
    assertEquals(3, opts.sampling().maxTokens(), "the call's option wins");
    assertEquals(0.5f, opts.sampling().temperature(), "the session conf fills what the call leaves");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OptionRegistry.fromSessionConf(Map.of("spark.ember.maxToken", "3")));
    assertTrue(e.getMessage().contains("did you mean 'maxTokens'"), e.getMessage());
  }

  @Test
  void surfacesOnlyTakeTheirOptions() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OptionRegistry.applySingle(EmberOptions.model("m"), Map.of("path", "x"), OptionRegistry.Spelling.API, "option", OptionRegistry.API_SCOPES));
    assertTrue(e.getMessage().contains("unknown option 'path'"), e.getMessage());
    assertEquals(List.of(), OptionRegistry.list(" , "));
  }

  @Test
  void theConnectorReadmeCarriesTheTable() throws Exception {
    Path readme = Path.of(System.getProperty("ember.repo.dir", ".."), "connector", "README.md");
    assertTrue(Files.readString(readme).contains(OptionRegistry.markdownTable()),
        "connector/README.md must carry OptionRegistry.markdownTable() verbatim; regenerate it");
  }
}
