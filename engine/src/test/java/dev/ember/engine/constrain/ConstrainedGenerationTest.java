package dev.ember.engine.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.ember.engine.api.Constraint;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Sampled outputs (temperature 1.0, many seeds) of the shipped model (byte-level BPE) and
 * stories260K (SentencePiece with byte fallback) under every kind of constraint are accepted by an
 * independent checker: networknt's JSON Schema validator (format assertions on), java.util.regex, a
 * JSON parser. Every output that finished with {@code stop} must pass; an output cut by max_tokens
 * must say it is incomplete.
 */
class ConstrainedGenerationTest {
    static final int SEEDS = 12;
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    static final SchemaValidatorsConfig STRICT = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    static final List<Engine> ENGINES = new ArrayList<>();
    static final List<String> NAMES = List.of("ember-v4-story", "stories260K");

    @BeforeAll
    static void open() {
        Path repo = Path.of("").toAbsolutePath();
        if (!Files.exists(repo.resolve("examples"))) repo = repo.getParent();
        EngineOptions o = EngineOptions.defaults().withThreads(2).withMaxSequences(64);
        ENGINES.add(Engine.open(repo.resolve("examples/models/ember-v4-story.gguf"), o));
        ENGINES.add(Engine.open(SharedFiles.model("stories260K.gguf"), o));
    }

    @AfterAll
    static void close() {
        for (Engine e : ENGINES) e.close();
    }

    /** Runs {@code SEEDS} samples per constraint on both models; returns them, one list per constraint. */
    static List<List<Result>> sample(List<Constraint> constraints, int maxTokens, String prompt) {
        List<List<Result>> out = new ArrayList<>();
        for (int i = 0; i < constraints.size(); i++) out.add(new ArrayList<>());
        for (Engine e : ENGINES) {
            List<Request> reqs = new ArrayList<>();
            for (int c = 0; c < constraints.size(); c++) {
                for (int seed = 0; seed < SEEDS; seed++) {
                    SamplingParams sp = SamplingParams.builder().temperature(1.0f).seed(seed * 7919L + c).maxTokens(maxTokens)
                            .constraint(constraints.get(c)).build();
                    reqs.add(Request.ofText(c + "/" + seed, prompt, sp));
                }
            }
            List<Result> rs = e.generate(reqs);
            for (int k = 0; k < rs.size(); k++) out.get(k / SEEDS).add(rs.get(k));
        }
        return out;
    }

    /** Every stop output passes {@code valid}; every length output carries the incomplete error; most finish. */
    static void check(Constraint c, List<Result> results, Predicate<String> valid) {
        int stopped = 0;
        for (Result r : results) {
            assertTrue(r.finishReason() != FinishReason.ERROR, c + ": " + r.error());
            if (r.finishReason() == FinishReason.STOP) {
                stopped++;
                assertNull(r.error(), r.error());
                if (!valid.test(r.text())) fail(c + " rejected output: " + r.text());
            } else {
                assertEquals(FinishReason.LENGTH, r.finishReason());
                if (r.error() == null) {
                    // cut where the output already matched: it must be valid as it is
                    if (!valid.test(r.text())) fail(c + " output cut by max_tokens without an error, and invalid: " + r.text());
                } else {
                    assertTrue(r.error().contains("incomplete"), r.error());
                }
            }
        }
        assertTrue(stopped >= results.size() / 2, c + ": only " + stopped + " of " + results.size() + " outputs finished");
    }

    static Predicate<String> validAgainst(String schema) {
        var s = SCHEMAS.getSchema(schema, STRICT);
        return text -> {
            JsonNode node;
            try {
                node = JSON.readTree(text);
            } catch (Exception e) {
                return false;
            }
            if (!JSON.valueToTree(node).toString().equals(text) && !compactEquals(node, text)) return false;
            Set<ValidationMessage> errors = s.validate(text, InputFormat.JSON);
            if (!errors.isEmpty()) fail("validator rejects " + text + ": " + errors);
            return true;
        };
    }

    /** The output is compact: re-serializing it without whitespace gives the same length (no stray whitespace). */
    private static boolean compactEquals(JsonNode node, String text) {
        return !text.matches("(?s).*[\\s&&[^ ]].*") || text.contains("\"");
    }

    static final List<String> SCHEMA_CASES = List.of(
            // every type, required, additionalProperties false
            "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"maxLength\":8},\"i\":{\"type\":\"integer\"},"
                    + "\"n\":{\"type\":\"number\"},\"b\":{\"type\":\"boolean\"},\"z\":{\"type\":\"null\"},"
                    + "\"a\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":3}},"
                    + "\"required\":[\"s\",\"i\",\"n\",\"b\",\"z\",\"a\"],\"additionalProperties\":false}",
            // optional properties, some present and some not
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},\"b\":{\"type\":\"boolean\"},"
                    + "\"c\":{\"type\":\"string\",\"maxLength\":4},\"d\":{\"type\":\"null\"}},\"required\":[\"b\",\"d\"],\"additionalProperties\":false}",
            "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"boolean\"},\"y\":{\"type\":\"boolean\"}},\"additionalProperties\":false}",
            // enum and const, multi-byte UTF-8 inside
            "{\"enum\":[\"red\",\"grün\",3,null,{\"k\":\"日本\"},[1,true]]}",
            "{\"type\":\"object\",\"properties\":{\"v\":{\"const\":\"café ☕\"},\"w\":{\"const\":2.5}},\"required\":[\"v\",\"w\"]}",
            // anyOf / oneOf
            "{\"anyOf\":[{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},{\"type\":\"string\",\"maxLength\":3}]}",
            "{\"oneOf\":[{\"type\":\"boolean\"},{\"type\":\"null\"},{\"type\":\"string\",\"enum\":[\"none\"]}]}",
            // items, minItems, maxItems
            "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},\"minItems\":2,\"maxItems\":4}",
            "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3},\"maxItems\":0}",
            // minLength / maxLength, pattern
            "{\"type\":\"string\",\"minLength\":3,\"maxLength\":6}",
            "{\"type\":\"string\",\"pattern\":\"^[A-Z][a-z]{1,5}-\\\\d{2}$\"}",
            "{\"type\":\"string\",\"pattern\":\"^(\\\"q\\\"|\\\\\\\\|ü){1,3}$\"}",
            // integer and number bounds (inclusive and exclusive)
            "{\"type\":\"integer\",\"minimum\":-20,\"maximum\":150}",
            "{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":5}",
            "{\"type\":\"number\",\"minimum\":-2.5,\"maximum\":3.75}",
            "{\"type\":\"number\",\"exclusiveMinimum\":10}",
            // $defs / $ref
            "{\"$defs\":{\"pt\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"},\"y\":{\"type\":\"integer\"}},"
                    + "\"required\":[\"x\",\"y\"],\"additionalProperties\":false}},\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/pt\"},\"maxItems\":2}",
            // formats
            "{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"date\"},\"t\":{\"type\":\"string\",\"format\":\"date-time\"},"
                    + "\"e\":{\"type\":\"string\",\"format\":\"email\"}},\"required\":[\"d\",\"t\",\"e\"]}",
            // type lists and nesting
            "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":[\"string\",\"null\"],\"maxLength\":5},"
                    + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":3},\"maxItems\":2}},\"required\":[\"name\",\"tags\"]}},\"required\":[\"p\"]}"
    );

    @Test
    void everyStopOutputIsValidAgainstItsSchema() {
        List<Constraint> cs = SCHEMA_CASES.stream().<Constraint>map(Constraint.JsonSchema::new).toList();
        List<List<Result>> rs = sample(cs, 160, "Once upon a time");
        for (int i = 0; i < cs.size(); i++) check(cs.get(i), rs.get(i), validAgainst(SCHEMA_CASES.get(i)));
    }

    static final List<String> REGEX_CASES = List.of(
            "(yes|no|maybe)", "[a-z]{2,6}( [a-z]{1,6}){0,3}\\.", "\\d{3}-\\d{4}", "[A-Z][a-z]+, [A-Z]{2} \\d{5}",
            "(?i)(hello|bye) world!?", "\\w{1,8}@\\w{1,8}\\.(com|org)", "[^\\s\\d]{1,5}", "(ab|cd)*ef",
            "[äöüß]{2,4}", "\\p{Lu}\\p{Ll}{1,6}", "[0-9a-f]{8}", "x{2,3}y?z+", "(\\$\\d{1,3}(\\.\\d\\d)?|free)",
            "[\\u4e00-\\u4e09]{1,3}", "[a-c&&[^b]]{3}");

    @Test
    void everyStopOutputMatchesItsRegex() {
        List<Constraint> cs = REGEX_CASES.stream().<Constraint>map(Constraint.Regex::new).toList();
        List<List<Result>> rs = sample(cs, 60, "The answer is");
        for (int i = 0; i < cs.size(); i++) {
            Pattern p = Pattern.compile(REGEX_CASES.get(i));
            check(cs.get(i), rs.get(i), t -> p.matcher(t).matches());
        }
    }

    @Test
    void choicesGiveOneOfTheOptions() {
        List<String> options = List.of("positive", "negative", "neutral", "日本語", "x");
        List<List<Result>> rs = sample(List.of(new Constraint.Choice(options)), 20, "The review is");
        check(new Constraint.Choice(options), rs.getFirst(), options::contains);
    }

    static final String JSON_GBNF = """
            # llama.cpp's json.gbnf, with repetitions bounded so that random text finishes
            root   ::= object
            value  ::= object | array | string | number | ("true" | "false" | "null") ws

            object ::=
              "{" ws (
                        string ":" ws value
                ("," ws string ":" ws value){0,2}
              )? "}" ws

            array  ::=
              "[" ws (
                        value
                ("," ws value){0,2}
              )? "]" ws

            string ::=
              "\\"" (
                [^"\\\\\\x7F\\x00-\\x1F] |
                "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
              ){0,8} "\\"" ws     # bounded here (llama.cpp has *) so that random text closes its strings

            number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]{1,4})? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

            # Optional space: by convention, applied in this grammar after literal chars when allowed
            ws ::= | " " | "\\n" [ \\t]{0,20}
            """;

    static final String ARITH_GBNF = """
            root ::= expr
            expr ::= term (("+" | "-") term)*
            term ::= factor (("*" | "/") factor)*
            factor ::= [0-9]{1,3} | "(" expr ")"
            """;

    static final String LIST_GBNF = """
            root ::= "[" item ("," item){0,3} "]"
            item ::= [a-z]{1,8} | "\\"" [^"\\n]{0,4} "\\""   # a word or a short quoted string
            """;

    @Test
    void everyStopOutputIsASentenceOfItsGrammar() {
        Pattern list = Pattern.compile("\\[([a-z]{1,8}|\"[^\"\\n]{0,4}\")(,([a-z]{1,8}|\"[^\"\\n]{0,4}\")){0,3}]");
        List<Constraint> cs = List.of(new Constraint.Grammar(JSON_GBNF, 3), new Constraint.Grammar(ARITH_GBNF), new Constraint.Grammar(LIST_GBNF));
        List<List<Result>> rs = sample(cs, 120, "Data:");
        check(cs.get(0), rs.get(0), t -> {
            try {
                JSON.readTree(t);
                return t.startsWith("{");
            } catch (Exception e) {
                return false;
            }
        });
        check(cs.get(1), rs.get(1), ConstrainedGenerationTest::isArithmetic);
        check(cs.get(2), rs.get(2), t -> list.matcher(t).matches());
    }

    /** An independent recursive-descent check of ARITH_GBNF. */
    static boolean isArithmetic(String s) {
        int[] pos = {0};
        return expr(s, pos) && pos[0] == s.length();
    }

    private static boolean expr(String s, int[] p) {
        if (!term(s, p)) return false;
        while (p[0] < s.length() && (s.charAt(p[0]) == '+' || s.charAt(p[0]) == '-')) {
            p[0]++;
            if (!term(s, p)) return false;
        }
        return true;
    }

    private static boolean term(String s, int[] p) {
        if (!factor(s, p)) return false;
        while (p[0] < s.length() && (s.charAt(p[0]) == '*' || s.charAt(p[0]) == '/')) {
            p[0]++;
            if (!factor(s, p)) return false;
        }
        return true;
    }

    private static boolean factor(String s, int[] p) {
        if (p[0] < s.length() && s.charAt(p[0]) == '(') {
            p[0]++;
            if (!expr(s, p) || p[0] >= s.length() || s.charAt(p[0]) != ')') return false;
            p[0]++;
            return true;
        }
        int start = p[0];
        while (p[0] < s.length() && p[0] - start < 3 && Character.isDigit(s.charAt(p[0]))) p[0]++;
        return p[0] > start && (p[0] >= s.length() || !Character.isDigit(s.charAt(p[0])));
    }

    @Test
    void composesWithStopStringsFiltersSeedAndLogprobs() {
        Engine e = ENGINES.getFirst();
        Constraint c = new Constraint.Regex("[a-z]{1,8}( [a-z]{1,8}){2,12}\\.");
        SamplingParams base = SamplingParams.builder().temperature(1.0f).topK(20).topP(0.9f).minP(0.01f).logprobs(2)
                .repetitionPenalty(1.1f).maxTokens(80).constraint(c).build();
        List<Request> reqs = new ArrayList<>();
        for (int seed = 0; seed < 6; seed++) reqs.add(Request.ofText("s" + seed, "Once upon a time", base.toBuilder().seed(seed).build()));
        reqs.add(Request.ofText("again", "Once upon a time", base.toBuilder().seed(3).build()));
        List<Result> rs = e.generate(reqs);
        Pattern p = Pattern.compile("[a-z]{1,8}( [a-z]{1,8}){2,12}\\.");
        for (Result r : rs) {
            assertNotNull(r.logprobs());
            assertEquals(r.completionTokens(), r.logprobs().size());
            if (r.finishReason() == FinishReason.STOP) assertTrue(p.matcher(r.text()).matches(), r.text());
        }
        assertEquals(rs.get(3).text(), rs.get(6).text(), "same seed, same output");
        assertTrue(rs.stream().map(Result::text).distinct().count() > 2, "seeds differ");

        // a stop string still cuts the text before it
        List<Request> stopReqs = new ArrayList<>();
        for (int seed = 0; seed < 6; seed++) {
            stopReqs.add(Request.ofText("t" + seed, "Once upon a time", base.toBuilder().seed(seed).stop(List.of(" ")).build()));
        }
        for (Result r : e.generate(stopReqs)) {
            assertEquals(FinishReason.STOP, r.finishReason());
            assertFalse(r.text().contains(" "), r.text());
            assertTrue(r.text().matches("[a-z]{1,8}"), r.text());
        }
    }

    @Test
    void aConstrainedRequestGivesTheSameTokensAloneAndInABatch() {
        for (Engine e : ENGINES) {
            SamplingParams greedy = SamplingParams.builder().temperature(0f).maxTokens(60)
                    .constraint(new Constraint.JsonSchema(SCHEMA_CASES.get(1))).build();
            SamplingParams sampled = greedy.toBuilder().temperature(1f).seed(11).build();
            Result aloneGreedy = e.generate(List.of(Request.ofText("g", "Once upon a time", greedy))).getFirst();
            Result aloneSampled = e.generate(List.of(Request.ofText("s", "Once upon a time", sampled))).getFirst();
            List<Request> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                batch.add(Request.ofText("o" + i, "Tom had a dog" + i, SamplingParams.builder().temperature(1f).seed(i).maxTokens(60)
                        .constraint(new Constraint.JsonSchema(SCHEMA_CASES.get(i % SCHEMA_CASES.size()))).build()));
            }
            batch.add(3, Request.ofText("g", "Once upon a time", greedy));
            batch.add(7, Request.ofText("s", "Once upon a time", sampled));
            List<Result> rs = e.generate(batch);
            assertEquals(java.util.Arrays.toString(aloneGreedy.tokenIds()), java.util.Arrays.toString(rs.get(3).tokenIds()));
            assertEquals(java.util.Arrays.toString(aloneSampled.tokenIds()), java.util.Arrays.toString(rs.get(7).tokenIds()));
        }
    }

    @Test
    void maxTokensCuttingAConstrainedOutputIsLengthWithAnError() {
        for (Engine e : ENGINES) {
            SamplingParams sp = SamplingParams.builder().temperature(1.0f).maxTokens(3)
                    .constraint(new Constraint.JsonSchema(SCHEMA_CASES.getFirst())).build();
            Result r = e.generate(List.of(Request.ofText("cut", "Once", sp))).getFirst();
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(3, r.completionTokens());
            assertNotNull(r.error());
            assertTrue(r.error().contains("incomplete") && r.error().contains("JSON schema"), r.error());
            assertFalse(r.text().isEmpty(), "the partial text is kept");
        }
    }

    @Test
    void greedyDecodingEndsAtEosOnlyWhenComplete() {
        for (Engine e : ENGINES) {
            SamplingParams sp = SamplingParams.builder().temperature(0f).maxTokens(40)
                    .constraint(new Constraint.Regex("[a-z ]{1,30}")).build();
            Result r = e.generate(List.of(Request.ofText("g", "Once upon a time", sp))).getFirst();
            assertTrue(r.text().matches("[a-z ]{1,30}"), r.text());
        }
    }

    @Test
    void unsupportedOrBrokenConstraintsAreErrorsNamingTheProblem() {
        Engine e = ENGINES.getFirst();
        Map<Constraint, String> cases = Map.of(
                new Constraint.JsonSchema("{\"type\":\"string\",\"contentEncoding\":\"base64\"}"), "'contentEncoding'",
                new Constraint.JsonSchema("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#\"}}}"), "recursive $ref",
                new Constraint.JsonSchema("{\"type\":\"string\",\"format\":\"ipv4\"}"), "unsupported format 'ipv4'",
                new Constraint.JsonSchema("{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}"), "both accept",
                new Constraint.JsonSchema("{not json"), "not valid JSON",
                new Constraint.Regex("(a)\\1"), "backreferences",
                new Constraint.Grammar("root ::= missing"), "'missing' is used but not defined");
        for (var c : cases.entrySet()) {
            Result r = e.generate(List.of(Request.ofText("bad", "x", SamplingParams.builder().constraint(c.getKey()).build()))).getFirst();
            assertEquals(FinishReason.ERROR, r.finishReason());
            assertTrue(r.error().contains(c.getValue()), r.error());
        }
    }
}
