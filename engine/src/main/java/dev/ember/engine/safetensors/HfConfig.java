package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's {@code config.json} with typed, checked access: every error names the file, the
 * key and what was expected, so a user can fix the file. Multimodal configs that nest the text
 * model under {@code text_config} are read from there, as llama.cpp's converter does.
 */
public final class HfConfig {
    private final Path file;
    private final Map<String, Object> values;

    HfConfig(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = values;
    }

    static HfConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file.getParent() + ": no config.json; a Hugging Face model directory needs config.json"
                    + " beside its .safetensors files (download it with the weights)");
        }
        Object parsed;
        try {
            parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m)) throw new ModelLoadException(file + ": not a JSON object");
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
        if (map.get("text_config") instanceof Map<?, ?> text) {
            Map<String, Object> merged = new java.util.LinkedHashMap<>(map);
            @SuppressWarnings("unchecked") Map<String, Object> t = (Map<String, Object>) text;
            merged.putAll(t);
            map = merged;
        }
        return new HfConfig(file, map);
    }

    public Path file() { return file; }

    public boolean has(String key) { return values.get(key) != null; }

    public Object raw(String key) { return values.get(key); }

    /** The first architecture listed, or an error explaining what to add. */
    public String architecture() {
        if (values.get("architectures") instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String s) return s;
        throw new ModelLoadException(file + ": missing \"architectures\" (e.g. [\"LlamaForCausalLM\"]); add the model class"
                + " transformers saved this checkpoint with");
    }

    public long integer(String key) {
        Object v = values.get(key);
        if (v == null) throw missing(key, "an integer");
        if (v instanceof Long l) return l;
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) return d.longValue();
        throw wrongType(key, "an integer", v);
    }

    public long integer(String key, long fallback) { return has(key) ? integer(key) : fallback; }

    /** The first of {@code keys} present (config names vary between families). */
    public long firstInteger(String... keys) {
        for (String k : keys) if (has(k)) return integer(k);
        throw missing(String.join("' or '", keys), "an integer");
    }

    public Long optionalInteger(String... keys) {
        for (String k : keys) if (has(k)) return integer(k);
        return null;
    }

    public double real(String key) {
        Object v = values.get(key);
        if (v == null) throw missing(key, "a number");
        if (v instanceof Number n) return n.doubleValue();
        throw wrongType(key, "a number", v);
    }

    public Double optionalReal(String key) { return has(key) ? real(key) : null; }

    public boolean bool(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        throw wrongType(key, "true or false", v);
    }

    public String string(String key, String fallback) {
        Object v = values.get(key);
        if (v == null) return fallback;
        if (v instanceof String s) return s;
        throw wrongType(key, "a string", v);
    }

    /** A nested object such as {@code rope_scaling}, or an empty map. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> object(String key) {
        Object v = values.get(key);
        if (v == null) return Map.of();
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw wrongType(key, "an object", v);
    }

    public ModelLoadException missing(String key, String what) {
        return new ModelLoadException(file + ": missing key '" + key + "' (" + what + "); the config is incomplete for "
                + values.getOrDefault("architectures", "this architecture") + ": add it or re-download config.json");
    }

    public ModelLoadException wrongType(String key, String what, Object got) {
        return new ModelLoadException(file + ": key '" + key + "' should be " + what + ", found " + Json.write(got));
    }

    public ModelLoadException invalid(String key, String problem) {
        return new ModelLoadException(file + ": key '" + key + "' = " + Json.write(values.get(key)) + ": " + problem);
    }
}
