package dev.ember.engine.constrain;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The language a schema compiles to, checked on hand-written instances: exactly the compact valid ones. */
class JsonSchemaTest {
    private static ByteDfa dfa(String schema) {
        return ByteDfa.of(JsonSchema.compile(schema));
    }

    private static boolean ok(ByteDfa d, String s) {
        return d.matches(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void requiredAndOptionalPropertiesInEveryCombinationInOrder() {
        ByteDfa d = dfa("{\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"boolean\"},\"c\":{\"type\":\"null\"}},\"required\":[\"b\"]}");
        for (String s : new String[]{"{\"b\":true}", "{\"a\":1,\"b\":false}", "{\"b\":true,\"c\":null}", "{\"a\":-7,\"b\":true,\"c\":null}"}) {
            assertTrue(ok(d, s), s);
        }
        for (String s : new String[]{"{}", "{\"a\":1}", "{\"b\":true,\"a\":1}", "{\"b\": true}", "{ \"b\":true}", "{\"b\":true,}",
                "{\"b\":true,\"d\":1}", "{\"a\":01,\"b\":true}"}) {
            assertFalse(ok(d, s), s);
        }
        ByteDfa none = dfa("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"boolean\"},\"y\":{\"type\":\"boolean\"}}}");
        for (String s : new String[]{"{}", "{\"x\":true}", "{\"y\":false}", "{\"x\":true,\"y\":true}"}) assertTrue(ok(none, s), s);
        assertFalse(ok(none, "{,\"y\":false}"));
    }

    @Test
    void stringsEscapesLengthsAndPatterns() {
        ByteDfa d = dfa("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}");
        assertTrue(ok(d, "\"ab\""));
        assertTrue(ok(d, "\"日本語\""), "lengths count characters, not bytes");
        assertTrue(ok(d, "\"a\\\"b\""), "an escape is one character");
        assertFalse(ok(d, "\"a\""));
        assertFalse(ok(d, "\"abcd\""));
        assertFalse(ok(d, "\"a\nb\""), "raw control characters are not JSON");
        ByteDfa p = dfa("{\"type\":\"string\",\"pattern\":\"^a\\\"[\\\\\\\\x]$\"}");   // a"[\\x] : quote and backslash get escaped
        assertTrue(ok(p, "\"a\\\"\\\\\""));
        assertTrue(ok(p, "\"a\\\"x\""));
        assertFalse(ok(p, "\"a\"x\""));
    }

    @Test
    void numbersWithinTheirBounds() {
        ByteDfa d = dfa("{\"type\":\"number\",\"minimum\":-2.5,\"maximum\":3.75}");
        for (String s : new String[]{"0", "3", "-2", "2.999", "-1.5", "0.25"}) assertTrue(ok(d, s), s);
        for (String s : new String[]{"4", "3.8", "-3", "-2.6", "1e3", "01"}) assertFalse(ok(d, s), s);
        ByteDfa narrow = dfa("{\"type\":\"number\",\"minimum\":0.5,\"maximum\":0.9}");
        for (String s : new String[]{"0.5", "0.75", "0.9", "0.900", "0.8999"}) assertTrue(ok(narrow, s), s);
        for (String s : new String[]{"0.49", "0.9001", "1", "0", "0.95", ".5"}) assertFalse(ok(narrow, s), s);
        ByteDfa i = dfa("{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":5}");
        for (int v = -3; v < 9; v++) assertEquals(v > 0 && v < 5, ok(i, Integer.toString(v)), "" + v);
    }

    /** Random plain decimals against BigDecimal comparisons, for open, closed, one-sided and negative intervals. */
    @Test
    void decimalRangesAreExact() {
        java.util.Random r = new java.util.Random(5);
        String[][] cases = {{"minimum", "-2.5", "maximum", "3.75"}, {"exclusiveMinimum", "0.25", "exclusiveMaximum", "0.3"},
                {"minimum", "-10.125", "exclusiveMaximum", "-9.5"}, {"exclusiveMinimum", "1.5", null, null}, {null, null, "maximum", "-0.05"},
                {"minimum", "0", "maximum", "1"}, {"exclusiveMinimum", "-1", "exclusiveMaximum", "1"}, {"minimum", "7", "maximum", "7"}};
        for (String[] c : cases) {
            StringBuilder sc = new StringBuilder("{\"type\":\"number\"");
            if (c[0] != null) sc.append(",\"").append(c[0]).append("\":").append(c[1]);
            if (c[2] != null) sc.append(",\"").append(c[2]).append("\":").append(c[3]);
            ByteDfa d = dfa(sc.append('}').toString());
            java.math.BigDecimal lo = c[0] == null ? null : new java.math.BigDecimal(c[1]);
            java.math.BigDecimal hi = c[2] == null ? null : new java.math.BigDecimal(c[3]);
            int hits = 0;
            for (int k = 0; k < 4000; k++) {
                int whole = r.nextInt(4) == 0 ? r.nextInt(20) : r.nextInt(3);
                String s = (r.nextBoolean() ? "-" : "") + whole;
                if (r.nextInt(3) > 0) {
                    StringBuilder f = new StringBuilder(".");
                    for (int j = 0, n = 1 + r.nextInt(4); j < n; j++) f.append(r.nextInt(10));
                    s += f;
                }
                java.math.BigDecimal v = new java.math.BigDecimal(s);
                boolean in = (lo == null || (c[0].startsWith("exclusive") ? v.compareTo(lo) > 0 : v.compareTo(lo) >= 0))
                        && (hi == null || (c[2].startsWith("exclusive") ? v.compareTo(hi) < 0 : v.compareTo(hi) <= 0));
                if (s.equals("-0") || s.startsWith("-0.") && v.signum() == 0) continue;   // -0 spells 0: either answer is valid
                assertEquals(in, ok(d, s), s + " in " + sc);
                if (in) hits++;
            }
            assertTrue(hits > 0 || c[1].equals("7"), "some samples fall inside " + sc);
        }
    }

    @Test
    void enumConstRefAnyOfArraysAndFormats() {
        ByteDfa e = dfa("{\"enum\":[\"a\",1,null,{\"k\":[true]}]}");
        for (String s : new String[]{"\"a\"", "1", "null", "{\"k\":[true]}"}) assertTrue(ok(e, s), s);
        assertFalse(ok(e, "\"b\""));
        ByteDfa r = dfa("{\"$defs\":{\"p\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":2}},\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/p\"},"
                + "\"minItems\":1,\"maxItems\":2}");
        for (String s : new String[]{"[1]", "[2,1]"}) assertTrue(ok(r, s), s);
        for (String s : new String[]{"[]", "[1,2,1]", "[3]", "[1, 2]"}) assertFalse(ok(r, s), s);
        ByteDfa f = dfa("{\"type\":\"string\",\"format\":\"date\"}");
        assertTrue(ok(f, "\"2024-02-28\""));
        assertFalse(ok(f, "\"2024-02-30\""));
        assertFalse(ok(f, "\"2024-13-01\""));
    }

    @Test
    void unsupportedKeywordsAreNamed() {
        for (String[] c : new String[][]{
                {"{\"type\":\"object\",\"minProperties\":1}", "'minProperties'"},
                {"{\"type\":\"array\",\"prefixItems\":[]}", "'prefixItems'"},
                {"{\"type\":\"integer\",\"multipleOf\":3}", "'multipleOf'"},
                {"{\"type\":\"array\",\"uniqueItems\":true}", "uniqueItems"},
                {"{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}", "additionalProperties as a schema"},
                {"{\"$ref\":\"other.json#/x\"}", "only local $ref"},
                {"{\"allOf\":[{},{}]}", "allOf with more than one"},
                {"{\"type\":\"string\",\"format\":\"date\",\"maxLength\":3}", "minLength/maxLength together with format"},
                {"{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}", "no integer"}}) {
            ConstraintException e = assertThrows(ConstraintException.class, () -> JsonSchema.compile(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void aTwentyPropertySchemaCompiles() throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        if (!Files.exists(repo.resolve("examples"))) repo = repo.getParent();
        ByteDfa d = dfa(Files.readString(repo.resolve("examples/schemas/bench-20.json")));
        assertTrue(d.size() > 100);
    }
}
