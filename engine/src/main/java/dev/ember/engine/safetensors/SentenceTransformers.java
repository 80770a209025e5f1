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
 * The sentence-transformers modules of a model folder, as GGUF keys: {@code modules.json} names
 * a Pooling module (its {@code config.json} gives the mode, written as llama.cpp's
 * {@code {arch}.pooling_type}, as its converter does) and optionally a Normalize module; and
 * the {@code max_seq_length} it truncates to. Normalization and the length are
 * Ember's own keys ({@link #NORMALIZE}, {@link #MAX_SEQ_LENGTH}): llama.cpp keeps them outside
 * the file (its tools normalize by default).
 */
final class SentenceTransformers {
    /** llama.cpp's {@code llama_pooling_type} values. */
    static final long MEAN = 1, CLS = 2, LAST = 3;
    static final String NORMALIZE = "ember.embedding.normalize";
    static final String MAX_SEQ_LENGTH = "ember.embedding.max_seq_length";

    private SentenceTransformers() {}

    /** Writes what the folder's modules say; nothing for a plain transformers folder. */
    static void translate(Path dir, String arch, GgufMetadata m) {
        Path modulesFile = dir.resolve("modules.json");
        if (!Files.isRegularFile(modulesFile)) return;
        boolean normalize = false;
        for (Object o : (List<?>) read(modulesFile)) {
            if (!(o instanceof Map<?, ?> mod) || !(mod.get("type") instanceof String type)) continue;
            String path = mod.get("path") instanceof String p ? p : "";
            if (type.endsWith("Pooling")) m.u32(arch + ".pooling_type", poolingType(dir.resolve(path).resolve("config.json")));
            else if (type.endsWith("Normalize")) normalize = true;
        }
        m.bool(NORMALIZE, normalize);
        // sentence-transformers truncates to max_seq_length: sentence_bert_config.json up to v5,
        // the tokenizer's model_max_length from v6 (an unset one is a huge float, not a Long).
        Path bert = dir.resolve("sentence_bert_config.json");
        Path tc = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(bert) && read(bert) instanceof Map<?, ?> c && c.get("max_seq_length") instanceof Long len) {
            m.u32(MAX_SEQ_LENGTH, len);
        } else if (Files.isRegularFile(tc) && read(tc) instanceof Map<?, ?> c && c.get("model_max_length") instanceof Long len
                && len > 0 && len < Integer.MAX_VALUE) {
            m.u32(MAX_SEQ_LENGTH, len);
        }
    }

    private static long poolingType(Path file) {
        if (!(read(file) instanceof Map<?, ?> c)) throw new ModelLoadException(file + ": expected a JSON object");
        if (Boolean.TRUE.equals(c.get("include_prompt")) || c.get("include_prompt") == null) {
            // include_prompt=true (the default) is what Ember does: the prompt's tokens are pooled too.
        } else {
            throw new ModelLoadException(file + ": include_prompt=false is not supported; pooling covers every token of the input");
        }
        if (c.get("pooling_mode") instanceof String mode) { // sentence-transformers 5+
            switch (mode) {
                case "mean": return MEAN;
                case "cls": return CLS;
                case "lasttoken": return LAST;
                default: throw new ModelLoadException(file + ": pooling_mode '" + mode + "' is not supported (supported: mean, cls, lasttoken)");
            }
        }
        if (Boolean.TRUE.equals(c.get("pooling_mode_mean_tokens"))) return MEAN;
        if (Boolean.TRUE.equals(c.get("pooling_mode_cls_token"))) return CLS;
        if (Boolean.TRUE.equals(c.get("pooling_mode_lasttoken"))) return LAST;
        throw new ModelLoadException(file + ": unsupported pooling mode (supported: pooling_mode_mean_tokens, pooling_mode_cls_token,"
                + " pooling_mode_lasttoken)");
    }

    private static Object read(Path file) {
        try {
            return Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file + ": cannot read (" + e.getMessage() + "); re-download the model folder");
        }
    }
}
