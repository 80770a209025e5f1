package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;

/**
 * Text ⇄ token ids for one model, built from GGUF metadata ({@code tokenizer.ggml.*}).
 * Implementations: SentencePiece-style BPE ({@code llama}), GPT-2 byte-level BPE ({@code gpt2})
 * with per-model pre-tokenizer split rules, and WordPiece ({@code bert}).
 */
public interface Tokenizer {

    /** Builds the tokenizer a GGUF file describes, or fails naming the unsupported model/pre-tokenizer. */
    static Tokenizer fromGguf(GgufFile gguf) {
        return TokenizerLoader.fromGguf(gguf);
    }

    int vocabSize();

    /**
     * Encodes text. {@code addSpecial} adds BOS (and EOS) as the model's add_bos/add_eos flags say;
     * {@code parseSpecial} lets special/control token texts in {@code text} map to their ids.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Decodes ids to text; bytes are merged across tokens into valid UTF-8. Control tokens decode to nothing. */
    String decode(int[] tokens);

    /** The raw bytes a token contributes when decoded (empty for control tokens). */
    byte[] tokenBytes(int id);

    /** The token's string in the vocabulary, for display. */
    String tokenText(int id);

    /** BOS id, or -1. */
    int bos();

    /** EOS id, or -1. */
    int eos();

    /** True for tokens that end generation (EOS, EOT, EOM and similar). */
    boolean isEndOfGeneration(int id);
}
