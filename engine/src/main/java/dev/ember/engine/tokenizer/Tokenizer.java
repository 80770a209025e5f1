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

    /**
     * Encodes a rendered template: special/control token texts are parsed everywhere except in the
     * {@code [start, end)} ranges of {@code plain} (sorted pairs: the messages' content), where
     * they stay ordinary text. Outside those tokens it is {@code encode(text, addSpecial, true)}.
     */
    int[] encodeTemplated(String text, int[] plain, boolean addSpecial);

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

    /** End-of-turn id (e.g. {@code <|im_end|>}, {@code <|eot_id|>}), or -1. */
    default int eot() { return -1; }

    /** Whether {@code encode(text, true, ...)} starts with BOS. */
    default boolean addsBos() { return false; }

    /** True for control (and unknown-type) tokens: not produced from plain text, decoded to nothing. */
    default boolean isControl(int id) { return false; }

    /**
     * A fresh incremental decoder for one generated sequence: feed it token ids as they are sampled
     * and it returns only newly completed text, holding back bytes of a UTF-8 character that is
     * split across tokens. Not thread-safe; use one per sequence.
     */
    default StreamingDecoder streamingDecoder() { return new StreamingDecoder(this); }
}
