package dev.ember.engine.tokenizer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The byte-level BPE pre-tokenizers, chosen by {@code tokenizer.ggml.pre}. Each entry lists the split
 * stages llama.cpp runs for that name (its patterns are the models' tokenizer.json split regexes,
 * adapted the same way llama.cpp adapts them) plus the two loader flags that travel with the name.
 */
final class PreTokenizers {
    private PreTokenizers() {}

    /**
     * A named pre-tokenizer. {@code ignoreMerges}: a word that is itself a token is emitted whole
     * without running merges (HF's ignore_merges, Llama 3). {@code addBos}: the default for
     * add_bos_token when the GGUF does not say.
     */
    record Spec(String name, PreTokenizer splitter, boolean ignoreMerges, boolean addBos) {}

    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    /** In collapsed text, "a letter that is not a-z" and "a letter that is not A-Z". */
    private static final String NOT_LOWER_LETTER = "[\\x{d2}A-Z]";
    private static final String NOT_UPPER_LETTER = "[\\x{d2}a-z]";
    /** The CJK-ish ranges DeepSeek's split isolates (note the wide U+0800..U+4E00 range, as shipped). */
    static final String DEEPSEEK_CJK = "\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}";
    /** ASCII and full-width punctuation, quotes and CJK stops that DeepSeek LLM's split groups. */
    static final String DEEPSEEK_PUNCTUATION = "!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}";
    /** The cased-letter ranges DeepSeek LLM's split groups (Latin, Greek, Cyrillic, Armenian, ...). */
    static final String DEEPSEEK_LETTERS = "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
            + "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}"
            + "\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}"
            + "\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
            + "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}"
            + "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}"
            + "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
            + "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
            + "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
            + "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
            + "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
            + "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
            + "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
            + "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
            + "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
            + "\\x{1E900}-\\x{1E943}";
    private static final String BLOOM = " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+";

    private static final Map<String, Supplier<Spec>> REGISTRY = new LinkedHashMap<>();

    private static void register(Supplier<Spec> spec, String... names) {
        for (String name : names) REGISTRY.put(name, spec);
    }

    private static Supplier<Spec> spec(boolean ignoreMerges, boolean addBos, Supplier<List<SplitStage>> stages) {
        // Build lazily so that loading one model does not compile every other model's patterns.
        return new Supplier<>() {
            private volatile Spec built;

            @Override
            public Spec get() {
                Spec s = built;
                if (s == null) built = s = new Spec("", new PreTokenizer(stages.get()), ignoreMerges, addBos);
                return s;
            }
        };
    }

    static {
        register(spec(false, false, () -> List.of(Gpt2Split.INSTANCE)),
                "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
                "mellum", "modern-bert", "mpt", "olmo", "jais", "trillion", "granite-docling", "exaone4",
                "jina-v1-en", "jina-v2-code", "roberta-bpe");
        register(spec(true, true, () -> List.of(Llama3Split.LLAMA3)),
                "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano");
        register(spec(false, false, () -> List.of(Llama3Split.LLAMA3)), "dbrx", "smaug-bpe");
        register(spec(false, false, () -> List.of(Llama3Split.QWEN2)),
                "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open", "grok-2");
        register(spec(false, false, () -> List.of(Llama3Split.QWEN35)), "qwen35");
        register(spec(false, false, () -> List.of(
                ClassRunSplit.each(ClassRunSplit.category(UnicodeProps.NUMBER)),
                Gpt2Split.INSTANCE)),
                "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2");
        register(spec(false, false, () -> List.of(
                RegexSplit.collapsed("[\\p{P}\\$\\+<=>\\^~\\|`]+"),
                Gpt2Split.INSTANCE,
                RegexSplit.wide("[0-9][0-9][0-9]"))),
                "falcon");
        register(spec(false, false, () -> List.of(
                RegexSplit.collapsed("[\\p{P}\\$\\+<=>\\^~\\|]+"),
                Gpt2Split.INSTANCE,
                RegexSplit.collapsed("\\p{N}+"),
                RegexSplit.wide("[0-9][0-9][0-9]"))),
                "default");
        register(spec(false, false, () -> List.of(
                ClassRunSplit.each(ClassRunSplit.ranges("\\r\\n")),
                ClassRunSplit.spaceAndRuns(ClassRunSplit.ranges(DEEPSEEK_LETTERS)),
                ClassRunSplit.spaceAndRuns(ClassRunSplit.ranges(DEEPSEEK_PUNCTUATION)),
                RegexSplit.wide("\\s+\\z"),
                ClassRunSplit.runs(ClassRunSplit.ranges(DEEPSEEK_CJK)),
                ClassRunSplit.runs(ClassRunSplit.category(UnicodeProps.NUMBER)))),
                "deepseek-llm");
        register(spec(false, false, () -> List.of(
                ClassRunSplit.each(ClassRunSplit.ranges("\\r\\n")),
                ClassRunSplit.spaceAndRuns(ClassRunSplit.category(UnicodeProps.LETTER)),
                ClassRunSplit.spaceAndRuns(ClassRunSplit.category(UnicodeProps.PUNCTUATION)),
                ClassRunSplit.runs(ClassRunSplit.ranges(DEEPSEEK_CJK)),
                ClassRunSplit.each(ClassRunSplit.category(UnicodeProps.NUMBER)))),
                "deepseek-coder");
        register(spec(false, false, () -> List.of(
                RegexSplit.collapsed("\\p{N}{1,3}"),
                RegexSplit.wide("[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+"),
                RegexSplit.collapsed("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                        + "| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"))),
                "deepseek-v3", "hunyuan-dense", "joyai-llm");
        register(spec(false, false, () -> List.of(RegexSplit.collapsed(
                CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"))),
                "seed-coder");
        register(spec(false, false, () -> List.of(RegexSplit.collapsed(
                "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                        + "|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"))),
                "bailingmoe", "bailingmoe2", "llada-moe");
        register(spec(false, false, () -> List.of(RegexSplit.wide(BLOOM))), "poro-chat", "bloom", "gpt3-finnish");
        register(spec(false, false, () -> List.of(RegexSplit.wide(BLOOM), RegexSplit.collapsed("\\p{N}"))), "viking");
        // o200k's split as the models' tokenizer.json applies it (llama.cpp shares one approximation
        // of it among these names, which differs on non-ASCII case runs and combining marks).
        register(spec(false, false, () -> List.of(O200kSplit.INSTANCE)), "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2");
        register(spec(true, true, () -> List.of(RegexSplit.collapsed(
                "[^\\r\\n\\p{L}\\p{N}]?" + NOT_LOWER_LETTER + "*" + NOT_UPPER_LETTER + "+"
                        + "|[^\\r\\n\\p{L}\\p{N}]?" + NOT_LOWER_LETTER + "+" + NOT_UPPER_LETTER + "*"
                        + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"))),
                "tekken");
    }

    /** The pre-tokenizer for a {@code tokenizer.ggml.pre} value; a missing value means "default". */
    static Spec forName(String pre) {
        String name = pre == null || pre.isEmpty() ? "default" : pre;
        Supplier<Spec> s = REGISTRY.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unsupported pre-tokenizer '" + name + "' (tokenizer.ggml.pre); supported: "
                    + String.join(", ", new TreeSet<>(REGISTRY.keySet())));
        }
        Spec spec = s.get();
        return new Spec(name, spec.splitter(), spec.ignoreMerges(), spec.addBos());
    }

    static java.util.Set<String> supported() {
        return java.util.Collections.unmodifiableSet(REGISTRY.keySet());
    }
}
