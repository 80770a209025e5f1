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
        ByteDfa i = dfa("{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":5}");
        for (int v = -3; v < 9; v++) assertEquals(v > 0 && v < 5, ok(i, Integer.toString(v)), "" + v);
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
