package dev.ember.engine.safetensors;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tokenizer.Tokenizer;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates a byte-level BPE {@code tokenizer.json} (plus {@code tokenizer_config.json} and the
 * chat template) into the {@code tokenizer.ggml.*} metadata llama.cpp's converter writes, so the
 * tokenizer package builds the same tokenizer from an HF directory as from the converted GGUF.
 *
 * <p>The pre-tokenizer is recognised by its split regexes: tokenizer.json carries the patterns,
 * GGUF carries a name ({@code tokenizer.ggml.pre}) whose patterns the tokenizer package knows.
 * An unknown pattern set is an error, never a guess: a wrong split changes the token ids.
 */
final class HfTokenizerJson {
    private HfTokenizerJson() {}

    /** The GPT-2 split, implied by a ByteLevel pre-tokenizer with use_regex = true. */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Split patterns, exactly as the models' tokenizer.json files have them → llama.cpp pre-tokenizer name. */
    static final Map<List<String>, String> KNOWN_SPLITS = Map.of(
            List.of("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
            "llama-bpe",
            List.of("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
            "qwen2",
            List.of(GPT2), "gpt-2",
            List.of("\\p{N}{1,3}", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
            "deepseek-v3",
            // o200k (GPT-4o, gpt-oss), as llama.cpp's convert script records it for its gpt-4o pre-tokenizer
            List.of("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
            "gpt-4o");

    static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;
    /** More tokens than this is corruption (GGUF arrays have the same bound; real vocabularies have a few hundred thousand). */
    static final int MAX_VOCAB = 1 << 24;
    /** Undefined ids a vocabulary may pad beyond twice its defined tokens. */
    static final int MAX_FILLERS = 1 << 16;

    private static int tokenId(Path file, String what, Object v) {
        if (v instanceof Long l && l >= 0 && l < MAX_VOCAB) return (int) (long) l;
        throw new ModelLoadException(file + ": " + what + " has id " + Json.write(v) + ", expected an integer from 0 to " + (MAX_VOCAB - 1));
    }

    /** Adds tokenizer metadata to {@code out} when the directory has a tokenizer.json. */
    static void translate(Path dir, HfConfig config, GgufMetadata out) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) return;
        Map<String, Object> tok = object(file, readJson(file));
        Path tcFile = dir.resolve("tokenizer_config.json");
        Map<String, Object> tc = Files.isRegularFile(tcFile) ? object(tcFile, readJson(tcFile)) : Map.of();

        Map<String, Object> model = sub(file, tok, "model");
        if ("WordPiece".equals(model.get("type"))) {
            wordPiece(file, tok, model, tc, config, out);
            return;
        }
        if (!"BPE".equals(model.get("type"))) {
            throw new ModelLoadException(file + ": tokenizer model '" + model.get("type") + "' is not supported from tokenizer.json (only"
                    + " byte-level BPE); convert the model with llama.cpp to GGUF");
        }
        if (Boolean.TRUE.equals(model.get("byte_fallback"))) {
            throw new ModelLoadException(file + ": a BPE with byte_fallback is SentencePiece-style; Ember reads only byte-level BPE"
                    + " from tokenizer.json: convert the model with llama.cpp to GGUF");
        }
        String pre = preTokenizerName(file, tok.get("pre_tokenizer"));

        Map<String, Object> vocab = sub(file, model, "vocab");
        Map<Integer, String> byId = new HashMap<>();
        int maxId = -1;
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = tokenId(file, "model.vocab entry " + Json.write(e.getKey()), e.getValue());
            byId.put(id, e.getKey());
            maxId = Math.max(maxId, id);
        }
        Map<Integer, Boolean> added = new HashMap<>(); // id → special
        Map<String, Integer> addedIds = new HashMap<>();
        if (tok.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                Map<String, Object> a = object(file, o);
                int id = tokenId(file, "added_tokens entry " + Json.write(a.get("content")), a.get("id"));
                if (!(a.get("content") instanceof String content)) {
                    throw new ModelLoadException(file + ": added_tokens entry with id " + id + " has no \"content\" string");
                }
                byId.put(id, content);
                added.put(id, Boolean.TRUE.equals(a.get("special")));
                addedIds.put(content, id);
                maxId = Math.max(maxId, id);
            }
        }
        long vocabSize = config.integer("vocab_size", maxId + 1);
        if (vocabSize > MAX_VOCAB) throw config.invalid("vocab_size", "more than " + MAX_VOCAB + " tokens");
        if (maxId >= vocabSize) {
            throw new ModelLoadException(file + ": token id " + maxId + " is outside config.json's vocab_size " + vocabSize
                    + "; tokenizer.json and config.json come from different models");
        }
        // Undefined ids become [PADn] fillers. Real checkpoints pad a few hundred ids (Qwen: 271 of
        // 151,936); a vocabulary mostly of fillers is a broken file that would cost seconds and
        // memory to build (fuzz finding: one added token at id 3,444,465 in a 16 KB tokenizer.json).
        if (vocabSize > 2L * byId.size() + MAX_FILLERS) {
            throw new ModelLoadException(file + ": a vocabulary of " + vocabSize + " ids (" + (maxId + 1 == vocabSize ? "its largest id + 1" : "config.json's vocab_size")
                    + ") defines only " + byId.size() + " tokens; more than half would be fillers. Check the token ids and vocab_size");
        }
        String[] tokens = new String[(int) vocabSize];
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else {
                tokens[i] = t;
                Boolean special = added.get(i);
                types[i] = special == null ? NORMAL : special || looksSpecial(t) ? CONTROL : USER_DEFINED;
            }
        }
        List<String> merges = new ArrayList<>();
        if (model.get("merges") instanceof List<?> ms) {
            for (Object m : ms) {
                if (m instanceof String s) merges.add(s);
                else if (m instanceof List<?> pair && pair.size() == 2) merges.add(pair.get(0) + " " + pair.get(1));
                else throw new ModelLoadException(file + ": model.merges holds " + Json.write(m) + ", expected \"a b\" or [\"a\", \"b\"]");
            }
        }

        out.string("tokenizer.ggml.model", "gpt2");
        out.string("tokenizer.ggml.pre", pre);
        out.strings("tokenizer.ggml.tokens", tokens);
        out.i32s("tokenizer.ggml.token_type", types);
        out.strings("tokenizer.ggml.merges", merges.toArray(String[]::new));
        specialTokens(trailingTokenIsEos(tc, tok, addedIds, out), config, addedIds, tokens.length, out);
        addFlags(tc, tok, out);
        chatTemplate(dir, tc, out);
    }

    /** A WordPiece vocabulary id: an integer in [0, vocab_size), or a load error naming it. */
    private static int wordPieceId(Path file, Object value, int n, String what) {
        if (!(value instanceof Long id)) throw new ModelLoadException(file + ": " + what + " " + value + " is not an integer");
        if (id < 0 || id >= n) throw new ModelLoadException(file + ": " + what + " " + id + " is outside config.json's vocab_size " + n);
        return (int) (long) id;
    }

    /**
     * BERT's WordPiece as llama.cpp's BertModel.set_vocab writes it: a word-initial piece gets a
     * U+2581 prefix, a {@code ##} continuation loses its marker, special tokens stay as they are;
     * CLS, SEP, UNK and PAD ids; the normalizer's lowercase and strip_accents flags.
     */
    private static void wordPiece(Path file, Map<String, Object> tok, Map<String, Object> model, Map<String, Object> tc,
                                  HfConfig config, GgufMetadata out) {
        Map<String, Object> vocab = sub(file, model, "vocab");
        int n = Math.toIntExact(config.integer("vocab_size", vocab.size()));
        if (n > 2L * vocab.size() + MAX_FILLERS) {
            throw new ModelLoadException(file + ": config.json's vocab_size " + n + " is for a vocabulary that defines only " + vocab.size()
                    + " tokens; more than half would be fillers. Check vocab_size");
        }
        String[] tokens = new String[n];
        int[] types = new int[n];
        Map<String, Integer> ids = new HashMap<>();
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = wordPieceId(file, e.getValue(), n, "token id");
            tokens[id] = e.getKey();
            types[id] = NORMAL;
            ids.put(e.getKey(), id);
        }
        if (tok.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                Map<String, Object> a = object(file, o);
                int id = wordPieceId(file, a.get("id"), n, "added token id");
                tokens[id] = (String) a.get("content");
                types[id] = Boolean.TRUE.equals(a.get("special")) ? CONTROL : USER_DEFINED;
                ids.put(tokens[id], id);
            }
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (types[i] != CONTROL) {
                tokens[i] = tokens[i].startsWith("##") ? tokens[i].substring(2) : "\u2581" + tokens[i];
            }
        }
        out.string("tokenizer.ggml.model", "bert");
        out.string("tokenizer.ggml.pre", "default");
        out.strings("tokenizer.ggml.tokens", tokens);
        out.i32s("tokenizer.ggml.token_type", types);
        String[][] kinds = {{"cls_token", "cls_token_id"}, {"sep_token", "seperator_token_id"}, {"unk_token", "unknown_token_id"},
                {"pad_token", "padding_token_id"}, {"mask_token", "mask_token_id"}};
        for (String[] k : kinds) {
            Object entry = tc.get(k[0]);
            String content = entry instanceof String s ? s : entry instanceof Map<?, ?> m && m.get("content") instanceof String s2 ? s2 : null;
            if (content == null && k[0].equals("unk_token") && model.get("unk_token") instanceof String u) content = u;
            Integer id = content != null ? ids.get(content) : null;
            if (id != null) out.u32("tokenizer.ggml." + k[1], id);
        }
        if (tok.get("normalizer") instanceof Map<?, ?> norm && "BertNormalizer".equals(norm.get("type"))) {
            boolean lower = !Boolean.FALSE.equals(norm.get("lowercase"));
            out.bool("tokenizer.ggml.normalizer.lowercase", lower);
            out.bool("tokenizer.ggml.normalizer.strip_accents", norm.get("strip_accents") instanceof Boolean b ? b : lower);
        }
    }

    /** llama.cpp's SpecialVocab: ids from tokenizer_config.json's *_token texts, else from config.json's *_token_id. */
    private static void specialTokens(Map<String, Object> tc, HfConfig config, Map<String, Integer> addedIds, int n, GgufMetadata out) {
        String[][] kinds = {{"bos", "bos_token_id"}, {"eos", "eos_token_id"}, {"unk", "unknown_token_id"},
                {"sep", "seperator_token_id"}, {"pad", "padding_token_id"}};
        for (String[] k : kinds) {
            Object entry = tc.get(k[0] + "_token");
            String content = entry instanceof String s ? s : entry instanceof Map<?, ?> m && m.get("content") instanceof String s2 ? s2 : null;
            Integer id = content != null ? addedIds.get(content) : null;
            if (id == null && config.raw(k[0] + "_token_id") instanceof Long l && l >= 0 && l < n) id = Math.toIntExact(l);
            if (id != null) out.u32("tokenizer.ggml." + k[1], id);
        }
    }

    /**
     * gguf-py's SpecialVocab: when the post-processor's template ends with a special token other
     * than tokenizer_config.json's eos_token (Qwen3-Embedding appends {@code <|endoftext|>} while
     * its eos_token is {@code <|im_end|>}), that token becomes the EOS the tokenizer appends and
     * the old EOS becomes the end-of-turn token, which still ends generation. Returns the
     * tokenizer_config to read special tokens from.
     */
    private static Map<String, Object> trailingTokenIsEos(Map<String, Object> tc, Map<String, Object> tok,
                                                          Map<String, Integer> addedIds, GgufMetadata out) {
        Map<String, Object> template = templateProcessing(tok.get("post_processor"));
        if (template == null || !(template.get("single") instanceof List<?> single) || single.size() < 2) return tc;
        if (!(single.getLast() instanceof Map<?, ?> last && last.get("SpecialToken") instanceof Map<?, ?> st
                && st.get("id") instanceof String trailing)) return tc;
        Object entry = tc.get("eos_token");
        String eos = entry instanceof String s ? s : entry instanceof Map<?, ?> m && m.get("content") instanceof String s2 ? s2 : null;
        if (eos == null || eos.equals(trailing) || !addedIds.containsKey(trailing)) return tc;
        if (addedIds.get(eos) != null && !tc.containsKey("eot_token")) out.u32("tokenizer.ggml.eot_token_id", addedIds.get(eos));
        Map<String, Object> copy = new java.util.HashMap<>(tc);
        copy.put("eos_token", trailing);
        return copy;
    }

    /** add_bos/add_eos from tokenizer_config.json, else from the post-processor's template. */
    private static void addFlags(Map<String, Object> tc, Map<String, Object> tok, GgufMetadata out) {
        Boolean bos = tc.get("add_bos_token") instanceof Boolean b ? b : null;
        Boolean eos = tc.get("add_eos_token") instanceof Boolean b ? b : null;
        Map<String, Object> template = templateProcessing(tok.get("post_processor"));
        if (template != null && template.get("single") instanceof List<?> single && !single.isEmpty()) {
            if (bos == null) bos = single.getFirst() instanceof Map<?, ?> f && f.containsKey("SpecialToken");
            if (eos == null) eos = single.getLast() instanceof Map<?, ?> l && l.containsKey("SpecialToken");
        }
        if (bos != null) out.bool("tokenizer.ggml.add_bos_token", bos);
        if (eos != null) out.bool("tokenizer.ggml.add_eos_token", eos);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> templateProcessing(Object pp) {
        if (!(pp instanceof Map<?, ?> m)) return null;
        if ("TemplateProcessing".equals(m.get("type"))) return (Map<String, Object>) m;
        if ("Sequence".equals(m.get("type")) && m.get("processors") instanceof List<?> ps) {
            for (Object p : ps) {
                Map<String, Object> t = templateProcessing(p);
                if (t != null) return t;
            }
        }
        return null;
    }

    /** tokenizer_config.json's chat_template (string or named list), or chat_template.jinja as transformers 5 saves it. */
    private static void chatTemplate(Path dir, Map<String, Object> tc, GgufMetadata out) {
        Object t = tc.get("chat_template");
        if (t instanceof String s) {
            out.string("tokenizer.chat_template", s);
        } else if (t instanceof List<?> named) {
            for (Object o : named) {
                if (o instanceof Map<?, ?> m && m.get("name") instanceof String name && m.get("template") instanceof String tpl) {
                    out.string(name.equals("default") ? "tokenizer.chat_template" : "tokenizer.chat_template." + name, tpl);
                }
            }
        } else {
            Path jinja = dir.resolve("chat_template.jinja");
            if (Files.isRegularFile(jinja)) {
                try {
                    out.string("tokenizer.chat_template", Files.readString(jinja, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new ModelLoadException(jinja + ": cannot read: " + e.getMessage(), e);
                }
            }
        }
    }

    /** The llama.cpp name of the pre-tokenizer whose split regexes tokenizer.json lists. */
    static String preTokenizerName(Path file, Object preTokenizer) {
        List<String> patterns = new ArrayList<>();
        boolean byteLevel = collect(file, preTokenizer, patterns);
        if (!byteLevel) {
            throw new ModelLoadException(file + ": pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are read"
                    + " from tokenizer.json: convert the model with llama.cpp to GGUF");
        }
        String name = KNOWN_SPLITS.get(patterns);
        if (name == null) {
            throw new ModelLoadException(file + ": unknown pre-tokenizer split " + Json.write(patterns) + "; Ember knows the splits of "
                    + String.join(", ", new java.util.TreeSet<>(KNOWN_SPLITS.values()))
                    + ". Convert the model with llama.cpp (its converter names the pre-tokenizer) and load the GGUF");
        }
        return name;
    }

    /** Appends the Split regexes in order; returns whether a ByteLevel step is present. */
    private static boolean collect(Path file, Object node, List<String> patterns) {
        if (!(node instanceof Map<?, ?> m)) return false;
        String type = String.valueOf(m.get("type"));
        switch (type) {
            case "Sequence" -> {
                boolean any = false;
                if (m.get("pretokenizers") instanceof List<?> ps) for (Object p : ps) any |= collect(file, p, patterns);
                return any;
            }
            case "Split" -> {
                if (!(m.get("pattern") instanceof Map<?, ?> p) || !(p.get("Regex") instanceof String regex)) {
                    throw new ModelLoadException(file + ": a Split pre-tokenizer without a Regex pattern is not supported");
                }
                if (!"Isolated".equals(m.get("behavior")) || Boolean.TRUE.equals(m.get("invert"))) {
                    throw new ModelLoadException(file + ": Split pre-tokenizer behaviour " + m.get("behavior") + " is not supported (only Isolated)");
                }
                patterns.add(regex);
                return false;
            }
            case "ByteLevel" -> {
                if (Boolean.TRUE.equals(m.get("add_prefix_space"))) {
                    throw new ModelLoadException(file + ": ByteLevel with add_prefix_space is not supported");
                }
                if (!Boolean.FALSE.equals(m.get("use_regex"))) patterns.add(GPT2);
                return true;
            }
            case "Digits", "Punctuation", "Whitespace", "WhitespaceSplit", "Metaspace" ->
                throw new ModelLoadException(file + ": pre-tokenizer step " + type + " is not supported; convert the model with llama.cpp");
            default -> throw new ModelLoadException(file + ": unknown pre-tokenizer step '" + type + "'");
        }
    }

    /** llama.cpp's does_token_look_special, for added tokens not flagged special. */
    static boolean looksSpecial(String t) {
        return (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || t.equals("<pad>") || t.equals("<mask>");
    }

    /**
     * Builds the tokenizer through the tokenizer package's GGUF loader: the translated
     * {@code tokenizer.*} and {@code general.*} keys become a small GGUF in memory that the loader
     * reads. The tokenizer loader takes a GgufFile, and this keeps one loader. (It was a temporary
     * file, written, mapped and deleted per load: most of TokenizerJsonFuzzTest's time.)
     */
    static Tokenizer build(HfCheckpoint ckpt) {
        return build(ckpt.ggufMetadata(), ckpt.directory());
    }

    /** {@link #build(HfCheckpoint)} from the translated metadata of the model directory {@code dir}. */
    static Tokenizer build(GgufMetadata metadata, Path dir) {
        GgufWriter w = new GgufWriter();
        metadata.writeTo(w, k -> k.startsWith("tokenizer.") || k.startsWith("general."));
        try (GgufFile f = GgufFile.of(dir.resolve("tokenizer.json"), w.toBytes())) {
            return Tokenizer.fromGguf(f);
        }
    }

    private static Object readJson(Path file) {
        try {
            return Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Path file, Object o) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new ModelLoadException(file + ": expected a JSON object, found " + Json.write(o));
    }

    private static Map<String, Object> sub(Path file, Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) throw new ModelLoadException(file + ": missing \"" + key + "\"");
        return object(file, v);
    }
}
