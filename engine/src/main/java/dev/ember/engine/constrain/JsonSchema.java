package dev.ember.engine.constrain;

import dev.ember.engine.util.Json;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema to the regular language of its compact JSON instances, the way Outlines
 * turns a schema into a regex: no whitespace at all ({@code {"a":1,"b":[true]}}), properties in the
 * schema's order, required ones always, optional ones present or not. Every keyword is either
 * honoured or rejected by name; none is silently dropped. Where the language is cut down to keep it
 * finite and decodable the result is still valid: integers and numbers have at most 16 integer
 * digits (numbers at most 16 fraction digits; bounded ones are written without exponent, exactly the
 * values within the bounds), free-form values nest at most {@value #FREE_DEPTH} deep, and a property
 * list only ever holds the declared properties.
 */
final class JsonSchema {
    static final int FREE_DEPTH = 2;
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "$comment", "title", "description", "examples",
            "default", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "$anchor");
    private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean", "null");
    private static final Set<String> OBJECT_KEYS = Set.of("properties", "required", "additionalProperties");
    private static final Set<String> ARRAY_KEYS = Set.of("items", "minItems", "maxItems", "uniqueItems");
    private static final Set<String> STRING_KEYS = Set.of("minLength", "maxLength", "pattern", "format");
    private static final Set<String> NUMBER_KEYS = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");

    /** A JSON string's unescaped characters: anything but '"', '\' and the C0 controls. */
    private static final CodePointSet PLAIN = CodePointSet.of(0x20, CodePointSet.MAX).minus(CodePointSet.ofChars("\"\\"));
    private static final Rx CHAR = Rx.alt(Rx.chars(PLAIN), Rx.seq(Rx.literal("\\"), Rx.chars(CodePointSet.ofChars("\"\\ntr"))));
    private static final Rx INTEGER = JavaRegex.parse("-?(0|[1-9][0-9]{0,15})");
    private static final Rx NUMBER = JavaRegex.parse("-?(0|[1-9][0-9]{0,15})(\\.[0-9]{1,16})?([eE][+-]?[1-9][0-9]{0,2})?");
    private static final Rx DATE = JavaRegex.parse(
            "[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))");
    private static final Rx TIME = JavaRegex.parse("([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|\\+00:00|[+-](0[1-9]|1[0-3]):(00|30|45))");
    private static final Rx EMAIL = JavaRegex.parse(
            "[A-Za-z0-9_+-]{1,20}(\\.[A-Za-z0-9_+-]{1,20}){0,2}@[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}(\\.[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}){0,2}"
            // validators check the top-level domain against IANA's list: keep to common real ones
            + "\\.(com|org|net|edu|gov|io|info|dev|app|ai|uk|de|fr|es|it|nl|jp|cn|in|br|ca|au|us|eu|ch|se|no|pl)");
    private static final Rx UUID = JavaRegex.parse("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Object root;
    private final Deque<String> refs = new ArrayDeque<>();

    private JsonSchema(Object root) { this.root = root; }

    static Rx compile(String schemaText) {
        Object root;
        try {
            root = Json.parse(schemaText);
        } catch (IllegalArgumentException e) {
            throw new ConstraintException("JSON schema is not valid JSON: " + e.getMessage());
        }
        return new JsonSchema(root).schema(root, "#");
    }

    private static ConstraintException error(String path, String what) {
        return new ConstraintException("JSON schema at " + path + ": " + what);
    }

    @SuppressWarnings("unchecked")
    private Rx schema(Object node, String path) {
        if (node instanceof Boolean b) return b ? free(FREE_DEPTH) : Rx.NOTHING;
        if (!(node instanceof Map)) throw error(path, "a schema must be an object or a boolean");
        Map<String, Object> s = (Map<String, Object>) node;
        if (s.containsKey("$ref")) {
            only(s, path, "$ref");
            return ref(String.valueOf(s.get("$ref")), path);
        }
        if (s.containsKey("const")) {
            only(s, path, "const", "type");
            return Rx.literal(JsonText.write(s.get("const")));
        }
        if (s.containsKey("enum")) {
            only(s, path, "enum", "type");
            if (!(s.get("enum") instanceof List<?> values) || values.isEmpty()) throw error(path, "enum must be a non-empty array");
            List<Rx> options = new ArrayList<>();
            for (Object v : values) options.add(Rx.literal(JsonText.write(v)));
            return Rx.alt(options);
        }
        for (String k : List.of("anyOf", "oneOf", "allOf")) {
            if (!s.containsKey(k)) continue;
            only(s, path, k);
            if (!(s.get(k) instanceof List<?> branches) || branches.isEmpty()) throw error(path, k + " must be a non-empty array");
            if (k.equals("allOf")) {
                if (branches.size() != 1) throw error(path, "allOf with more than one schema is not supported");
                return schema(branches.getFirst(), path + "/allOf/0");
            }
            List<Rx> options = new ArrayList<>();
            for (int i = 0; i < branches.size(); i++) options.add(schema(branches.get(i), path + "/" + k + "/" + i));
            if (k.equals("oneOf")) OneOf.checkDisjoint(options, path);
            return Rx.alt(options);
        }
        List<String> types = types(s, path);
        Set<String> allowed = new HashSet<>(ANNOTATIONS);
        allowed.add("type");
        allowed.addAll(OBJECT_KEYS);
        allowed.addAll(ARRAY_KEYS);
        allowed.addAll(STRING_KEYS);
        allowed.addAll(NUMBER_KEYS);
        for (String k : s.keySet()) {
            if (!allowed.contains(k)) throw error(path, "unsupported JSON Schema keyword '" + k + "'");
        }
        List<Rx> options = new ArrayList<>();
        for (String t : types) {
            options.add(switch (t) {
                case "object" -> object(s, path);
                case "array" -> array(s, path);
                case "string" -> string(s, path);
                case "integer" -> integer(s, path);
                case "number" -> number(s, path);
                case "boolean" -> Rx.alt(Rx.literal("true"), Rx.literal("false"));
                case "null" -> Rx.literal("null");
                default -> throw error(path, "unknown type '" + t + "'");
            });
        }
        return Rx.alt(options);
    }

    private List<String> types(Map<String, Object> s, String path) {
        Object t = s.get("type");
        if (t == null) {
            if (s.containsKey("properties") || s.containsKey("required") || s.containsKey("additionalProperties")) return List.of("object");
            if (s.containsKey("items") || s.containsKey("minItems") || s.containsKey("maxItems")) return List.of("array");
            if (s.containsKey("minLength") || s.containsKey("maxLength") || s.containsKey("pattern") || s.containsKey("format")) return List.of("string");
            if (s.keySet().stream().anyMatch(NUMBER_KEYS::contains)) return List.of("number");
            return List.of("string", "number", "boolean", "null", "array", "object");
        }
        List<String> out = new ArrayList<>();
        if (t instanceof String name) out.add(name);
        else if (t instanceof List<?> names) for (Object n : names) out.add(String.valueOf(n));
        else throw error(path, "type must be a string or an array of strings");
        for (String n : out) if (!TYPES.contains(n)) throw error(path, "unknown type '" + n + "'");
        if (out.isEmpty()) throw error(path, "type must not be empty");
        return out;
    }

    private static void only(Map<String, Object> s, String path, String... keys) {
        Set<String> ok = new HashSet<>(ANNOTATIONS);
        ok.addAll(List.of(keys));
        for (String k : s.keySet()) {
            if (!ok.contains(k)) throw error(path, "keyword '" + k + "' next to '" + keys[0] + "' is not supported");
        }
    }

    private Rx ref(String ref, String path) {
        if (!ref.startsWith("#")) throw error(path, "only local $ref ('#/...') is supported, got '" + ref + "'");
        if (refs.contains(ref)) throw error(path, "recursive $ref '" + ref + "' is not supported");
        Object target = root;
        if (ref.length() > 1) {
            if (!ref.startsWith("#/")) throw error(path, "unsupported $ref '" + ref + "'");
            for (String part : ref.substring(2).split("/")) {
                String key = part.replace("~1", "/").replace("~0", "~");
                if (target instanceof Map<?, ?> m && m.containsKey(key)) target = m.get(key);
                else throw error(path, "$ref '" + ref + "' points nowhere");
            }
        }
        refs.push(ref);
        try {
            return schema(target, ref);
        } finally {
            refs.pop();
        }
    }

    // ---- objects ----

    @SuppressWarnings("unchecked")
    private Rx object(Map<String, Object> s, String path) {
        Object ap = s.get("additionalProperties");
        if (ap != null && !(ap instanceof Boolean)) {
            throw error(path, "additionalProperties as a schema is not supported (use false or true)");
        }
        Object propsNode = s.get("properties");
        if (propsNode == null) {
            if (s.containsKey("required")) throw error(path, "required without properties is not supported");
            return Boolean.FALSE.equals(ap) ? Rx.literal("{}") : freeObject(FREE_DEPTH);
        }
        if (!(propsNode instanceof Map)) throw error(path, "properties must be an object");
        Map<String, Object> props = (Map<String, Object>) propsNode;
        Set<String> required = new HashSet<>();
        if (s.get("required") instanceof List<?> req) {
            for (Object r : req) {
                if (!props.containsKey(String.valueOf(r))) throw error(path, "required property '" + r + "' is not in properties");
                required.add(String.valueOf(r));
            }
        } else if (s.containsKey("required")) {
            throw error(path, "required must be an array");
        }
        List<String> names = new ArrayList<>(props.keySet());
        int n = names.size();
        Rx[] member = new Rx[n];
        for (int i = 0; i < n; i++) {
            String name = names.get(i);
            member[i] = Rx.seq(Rx.literal(JsonText.write(name) + ":"), schema(props.get(name), path + "/properties/" + name));
        }
        // after[i]: the rest of the members from i on, when at least one member has been written
        Rx[] after = new Rx[n + 1];
        after[n] = Rx.EMPTY;
        for (int i = n - 1; i >= 0; i--) {
            Rx present = Rx.seq(Rx.literal(","), member[i], after[i + 1]);
            after[i] = required.contains(names.get(i)) ? present : Rx.alt(present, after[i + 1]);
        }
        // first[i]: the members from i on, when none has been written yet
        Rx first = Rx.EMPTY;
        for (int i = n - 1; i >= 0; i--) {
            Rx present = Rx.seq(member[i], after[i + 1]);
            first = required.contains(names.get(i)) ? present : Rx.alt(present, first);
        }
        return Rx.seq(Rx.literal("{"), first, Rx.literal("}"));
    }

    // ---- arrays ----

    private Rx array(Map<String, Object> s, String path) {
        if (Boolean.TRUE.equals(s.get("uniqueItems"))) throw error(path, "uniqueItems: true is not supported");
        Rx item = s.containsKey("items") ? schema(s.get("items"), path + "/items") : free(FREE_DEPTH - 1);
        int min = count(s, "minItems", 0, path);
        int max = count(s, "maxItems", -1, path);
        return list(item, min, max);
    }

    private static Rx list(Rx item, int min, int max) {
        if (max >= 0 && max < min) return Rx.NOTHING;
        Rx some = Rx.seq(item, Rx.repeat(Rx.seq(Rx.literal(","), item), Math.max(0, min - 1), max < 0 ? -1 : max - 1));
        Rx body = min == 0 ? (max == 0 ? Rx.EMPTY : Rx.optional(some)) : some;
        return Rx.seq(Rx.literal("["), body, Rx.literal("]"));
    }

    private static int count(Map<String, Object> s, String key, int dflt, String path) {
        Object v = s.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Long l) || l < 0 || l > 100_000) throw error(path, key + " must be a non-negative integer");
        return (int) (long) l;
    }

    // ---- strings ----

    private Rx string(Map<String, Object> s, String path) {
        int min = count(s, "minLength", 0, path);
        int max = count(s, "maxLength", -1, path);
        Object format = s.get("format");
        Object pattern = s.get("pattern");
        if ((format != null || pattern != null) && (s.containsKey("minLength") || s.containsKey("maxLength"))) {
            throw error(path, "minLength/maxLength together with " + (format != null ? "format" : "pattern") + " is not supported");
        }
        if (format != null && pattern != null) throw error(path, "format together with pattern is not supported");
        Rx body;
        if (format != null) {
            body = switch (String.valueOf(format)) {
                case "date" -> DATE;
                case "time" -> TIME;
                case "date-time" -> Rx.seq(DATE, Rx.literal("T"), TIME);
                case "email" -> EMAIL;
                case "uuid" -> UUID;
                default -> throw error(path, "unsupported format '" + format + "' (supported: date, time, date-time, email, uuid)");
            };
        } else if (pattern != null) {
            body = jsonEncoded(JavaRegex.parse(String.valueOf(pattern)));
        } else {
            if (max >= 0 && max < min) return Rx.NOTHING;
            body = Rx.repeat(CHAR, min, max);
        }
        return Rx.seq(Rx.literal("\""), body, Rx.literal("\""));
    }

    /** The same strings, written as the inside of a JSON string literal (quotes, backslashes and controls escaped). */
    static Rx jsonEncoded(Rx rx) {
        return jsonEncoded(rx, new HashMap<>());
    }

    /** {@code encodedSets}: each character set's encoding, worked out once (a pattern's dots share one). */
    private static Rx jsonEncoded(Rx rx, Map<CodePointSet, Rx> encodedSets) {
        return switch (rx) {
            case Rx.Empty e -> e;
            case Rx.Nothing n -> n;
            case Rx.Bytes b -> Rx.literal(JsonText.escape(new String(b.bytes(), java.nio.charset.StandardCharsets.UTF_8)));
            case Rx.Chars c -> encodedSets.computeIfAbsent(c.set(), set -> {
                List<Rx> options = new ArrayList<>();
                options.add(Rx.chars(set.intersect(PLAIN)));
                CodePointSet special = set.minus(PLAIN);
                for (int i = 0; i < special.rangeCount(); i++) {
                    for (int cp = special.lo(i); cp <= special.hi(i); cp++) options.add(Rx.literal(JsonText.escape(Character.toString(cp))));
                }
                return Rx.alt(options);
            });
            case Rx.Seq s -> Rx.seq(s.items().stream().map(x -> jsonEncoded(x, encodedSets)).toList());
            case Rx.Alt a -> Rx.alt(a.options().stream().map(x -> jsonEncoded(x, encodedSets)).toList());
            case Rx.Repeat r -> Rx.repeat(jsonEncoded(r.item(), encodedSets), r.min(), r.max());
        };
    }

    // ---- numbers ----

    private Rx integer(Map<String, Object> s, String path) {
        BigDecimal lo = bound(s, "minimum", path), hi = bound(s, "maximum", path);
        BigDecimal xlo = bound(s, "exclusiveMinimum", path), xhi = bound(s, "exclusiveMaximum", path);
        if (lo == null && hi == null && xlo == null && xhi == null) return INTEGER;
        long min = Long.MIN_VALUE, max = Long.MAX_VALUE;
        if (lo != null) min = Math.max(min, toLong(lo.setScale(0, RoundingMode.CEILING), path));
        if (xlo != null) min = Math.max(min, toLong(xlo.setScale(0, RoundingMode.FLOOR), path) + 1);
        if (hi != null) max = Math.min(max, toLong(hi.setScale(0, RoundingMode.FLOOR), path));
        if (xhi != null) max = Math.min(max, toLong(xhi.setScale(0, RoundingMode.CEILING), path) - 1);
        if (min > max) throw error(path, "no integer lies within the bounds");
        return IntegerRanges.between(min, max);
    }

    private Rx number(Map<String, Object> s, String path) {
        BigDecimal lo = bound(s, "minimum", path), hi = bound(s, "maximum", path);
        BigDecimal xlo = bound(s, "exclusiveMinimum", path), xhi = bound(s, "exclusiveMaximum", path);
        if (lo == null && hi == null && xlo == null && xhi == null) return NUMBER;
        BigDecimal min = lo, max = hi;
        boolean minStrict = false, maxStrict = false;
        if (xlo != null && (min == null || xlo.compareTo(min) >= 0)) { min = xlo; minStrict = true; }
        if (xhi != null && (max == null || xhi.compareTo(max) <= 0)) { max = xhi; maxStrict = true; }
        Rx out;
        try {
            out = DecimalRanges.between(min, minStrict, max, maxStrict);
        } catch (ConstraintException e) {
            throw error(path, e.getMessage());
        }
        if (out instanceof Rx.Nothing) throw error(path, "no number lies within the bounds");
        return out;
    }

    private static long toLong(BigDecimal v, String path) {
        try {
            return v.longValueExact();
        } catch (ArithmeticException e) {
            throw error(path, "bound " + v + " is outside the 64-bit integer range");
        }
    }

    private static BigDecimal bound(Map<String, Object> s, String key, String path) {
        Object v = s.get(key);
        if (v == null) return null;
        if (v instanceof Long l) return BigDecimal.valueOf(l);
        if (v instanceof Double d) {
            // JSON numbers beyond the double range parse as infinities (a fuzz finding: -333333333330e3375)
            if (!Double.isFinite(d)) throw error(path, key + " is outside the range of a double");
            return BigDecimal.valueOf(d);
        }
        throw error(path, key + " must be a number");
    }

    // ---- free-form values ----

    private static Rx free(int depth) {
        List<Rx> options = new ArrayList<>(List.of(Rx.seq(Rx.literal("\""), Rx.repeat(CHAR, 0, -1), Rx.literal("\"")),
                NUMBER, Rx.literal("true"), Rx.literal("false"), Rx.literal("null")));
        if (depth > 0) {
            options.add(list(free(depth - 1), 0, -1));
            options.add(freeObject(depth));
        }
        return Rx.alt(options);
    }

    private static Rx freeObject(int depth) {
        if (depth <= 0) return Rx.literal("{}");
        Rx member = Rx.seq(Rx.literal("\""), Rx.repeat(CHAR, 1, -1), Rx.literal("\":"), free(depth - 1));
        return Rx.seq(Rx.literal("{"), Rx.optional(Rx.seq(member, Rx.repeat(Rx.seq(Rx.literal(","), member), 0, -1))), Rx.literal("}"));
    }
}
