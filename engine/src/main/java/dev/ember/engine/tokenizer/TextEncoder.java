package dev.ember.engine.tokenizer;

/** Tokenizes one plain-text fragment (special tokens already cut out) with the model's algorithm. */
@FunctionalInterface
interface TextEncoder {
    /**
     * @param afterSpecial true when the fragment starts the input or follows a special token;
     *                     SentencePiece then prefixes a space, like a word start
     */
    void encode(String text, boolean afterSpecial, IntList out);
}
