package dev.ember.engine.tokenizer;

/** UTF-8 boundary checks for streaming decode. */
final class Utf8 {
    private Utf8() {}

    /**
     * Length of the prefix of b[0, length) that can be decoded now: everything except a trailing
     * lead byte whose continuation bytes have not all arrived. Bytes that are invalid whatever follows
     * (stray continuation bytes, impossible lead bytes) count as complete: the decoder turns them
     * into U+FFFD the same way now or later.
     */
    static int completePrefix(byte[] b, int length) {
        int i = length - 1;
        int limit = Math.max(0, length - 4);
        while (i >= limit && (b[i] & 0xC0) == 0x80) i--;
        if (i < limit) return length; // four or more continuation bytes: no lead can still be waiting
        int lead = b[i] & 0xFF;
        int need = lead < 0x80 ? 1 : lead >= 0xC2 && lead < 0xE0 ? 2 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xF0 && lead < 0xF5 ? 4 : 1;
        return length - i < need ? i : length;
    }
}
