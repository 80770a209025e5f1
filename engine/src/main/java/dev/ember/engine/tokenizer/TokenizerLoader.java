package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads tokenizer.ggml.* metadata and builds the matching tokenizer: SentencePiece BPE
 * ({@code llama}), byte-level BPE ({@code gpt2}, with the pre-tokenizer named by
 * {@code tokenizer.ggml.pre}) or WordPiece ({@code bert}). Defaults for absent keys follow llama.cpp,
 * so that a GGUF tokenizes here exactly as it does there.
 */
final class TokenizerLoader {
    private TokenizerLoader() {}

    static final String MODEL_KEY = "tokenizer.ggml.model";

    static Tokenizer fromGguf(GgufFile gguf) {
        if (!gguf.has(MODEL_KEY)) {
            throw new IllegalArgumentException(gguf.path() + ": no tokenizer in this GGUF (missing " + MODEL_KEY + ")");
        }
        String model = gguf.getString(MODEL_KEY);
        SpecialTokenRules.Model kind = switch (model) {
            case "llama" -> SpecialTokenRules.Model.SPM;
            case "gpt2" -> SpecialTokenRules.Model.BPE;
            case "bert" -> SpecialTokenRules.Model.WPM;
            default -> throw new IllegalArgumentException(gguf.path() + ": unsupported tokenizer model '" + model + "' ("
                    + MODEL_KEY + "); supported: llama (SentencePiece BPE), gpt2 (byte-level BPE), bert (WordPiece)");
        };
        // The pre-tokenizer is resolved before the (slower) vocab work so an unsupported one fails fast.
        PreTokenizers.Spec pre = kind == SpecialTokenRules.Model.BPE
                ? PreTokenizers.forName(gguf.getString("tokenizer.ggml.pre", null)) : null;

        Vocab vocab = readVocab(gguf);
        boolean addBos = switch (kind) {
            case SPM, WPM -> true;
            case BPE -> pre.addBos();
        };
        boolean addSpacePrefix = gguf.getBool("tokenizer.ggml.add_space_prefix", kind == SpecialTokenRules.Model.SPM);
        addBos = gguf.getBool("tokenizer.ggml.add_bos_token", addBos);
        // llama.cpp ends WordPiece input with SEP whatever add_sep says, never appends it elsewhere,
        // and never appends EOS to WordPiece input: gguf-py writes add_eos_token = true for BERT
        // (its [SEP] is also the EOS), which would otherwise end the input with two SEPs.
        boolean addEos = kind != SpecialTokenRules.Model.WPM && gguf.getBool("tokenizer.ggml.add_eos_token", false);
        boolean addSep = kind == SpecialTokenRules.Model.WPM;

        SpecialIds ids = SpecialTokenRules.resolve(gguf, vocab, kind);
        SpecialTokenRules.applyModelPatches(gguf, vocab);

        TextEncoder encoder = switch (kind) {
            case SPM -> {
                SpmEncoder spm = new SpmEncoder(vocab);
                yield (text, afterSpecial, out) -> {
                    String s = addSpacePrefix && afterSpecial ? " " + text : text;
                    spm.encode(s.replace(' ', '\u2581'), out);
                };
            }
            case BPE -> {
                if (!gguf.has("tokenizer.ggml.merges")) {
                    throw new IllegalArgumentException(gguf.path() + ": byte-level BPE tokenizer without tokenizer.ggml.merges");
                }
                BpeEncoder bpe = new BpeEncoder(vocab, new BpeMerges(vocab, gguf.getStringArray("tokenizer.ggml.merges")),
                        pre.splitter(), pre.ignoreMerges());
                yield (text, afterSpecial, out) -> bpe.encode(text, out);
            }
            case WPM -> {
                boolean lowercase = gguf.getBool("tokenizer.ggml.normalizer.lowercase", true);
                boolean stripAccents = gguf.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);
                WordPieceEncoder wpm = new WordPieceEncoder(vocab, ids.unk(), lowercase, stripAccents);
                yield (text, afterSpecial, out) -> wpm.encode(text, out);
            }
        };
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(vocab);
        byte[][] pieces = decodePieces(vocab, kind);
        String name = kind == SpecialTokenRules.Model.BPE ? model + "/" + pre.name() : model;
        return new GgufTokenizer(name, vocab, ids, splitter, encoder, addBos, addEos, addSep, addSpacePrefix, pieces);
    }

    private static Vocab readVocab(GgufFile gguf) {
        String[] texts = gguf.getStringArray("tokenizer.ggml.tokens").clone(); // Vocab renames empty entries
        int n = texts.length;
        float[] scores = gguf.has("tokenizer.ggml.scores") ? gguf.getFloatArray("tokenizer.ggml.scores") : new float[n];
        if (scores.length < n) {
            throw new IllegalArgumentException(gguf.path() + ": tokenizer.ggml.scores has " + scores.length + " entries for " + n + " tokens");
        }
        int[] attrs = new int[n];
        if (gguf.has("tokenizer.ggml.token_type")) {
            long[] types = gguf.getLongArray("tokenizer.ggml.token_type");
            if (types.length < n) {
                throw new IllegalArgumentException(gguf.path() + ": tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
            }
            for (int i = 0; i < n; i++) attrs[i] = TokenAttr.fromGgufType(types[i]);
        } else {
            Arrays.fill(attrs, TokenAttr.NORMAL);
        }
        return new Vocab(texts, Arrays.copyOf(scores, n), attrs);
    }

    /** What each token contributes to decoded text, precomputed so decoding is a byte copy. */
    private static byte[][] decodePieces(Vocab vocab, SpecialTokenRules.Model kind) {
        byte[][] pieces = new byte[vocab.size()][];
        byte[] empty = new byte[0];
        for (int id = 0; id < vocab.size(); id++) {
            String t = vocab.text(id);
            int a = vocab.attrs(id);
            if ((a & TokenAttr.HIDDEN) != 0) pieces[id] = empty;
            else if ((a & TokenAttr.USER_DEFINED) != 0) pieces[id] = t.getBytes(StandardCharsets.UTF_8);
            else if ((a & TokenAttr.NORMAL) != 0) {
                pieces[id] = kind == SpecialTokenRules.Model.BPE
                        ? ByteLevel.decode(t)
                        : t.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            } else if ((a & TokenAttr.BYTE) != 0) pieces[id] = byteTokenValue(t);
            else pieces[id] = empty; // unused and undefined tokens print nothing, as in llama.cpp
        }
        return pieces;
    }

    /** {@code <0xNN>} → the byte NN. */
    private static byte[] byteTokenValue(String t) {
        if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(t.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // fall through: not a byte token after all
            }
        }
        return t.getBytes(StandardCharsets.UTF_8);
    }
}
